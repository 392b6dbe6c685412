// Command podlog writes Falco alerts into a pod-log folder the way a node's container runtime
// (containerd/CRI-O) and the kubelet do, for the end-to-end tests and the pipeline benchmark.
//
// What it does like the node: the path <root>/<namespace>_<pod>_<uid>/<container>/0.log; the CRI
// format `<RFC 3339 time> <stdout|stderr> <P|F> <content>`, with lines over 16 KiB split into
// 16 KiB `P` parts and a final `F` part (containerd's default max_container_log_line_size);
// Falco's plain-text start-up lines on stderr; the kubelet's rotation: once 0.log is past
// -rotate-bytes (10 MiB, containerLogMaxSize), it gzips the rotated file left from the rotation
// before, removes the oldest past -max-files (5, containerLogMaxFiles), renames 0.log to
// 0.log.<YYYYMMDD-hhmmss> and reopens 0.log (the kubelet's ContainerLogManager.rotateLog).
//
// What it cannot show: the kubelet checks sizes every 10 s, so a real 0.log grows past 10 MiB
// before it rotates; this writer rotates on the first line past the limit. It stands in for the
// node only, not for Falco: the alerts are generated (except the three fixture alerts).
//
// Every alert carries a unique integer output field evt.num (1, 2, …), so a reader counts loss
// and duplicates. The alert's `time` (and the CRI time) is the moment the line is written, so the
// latency of an event is its arrival time minus its timestamp. A JSON summary goes to stdout.
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

const criMaxLine = 16 * 1024

var priorities = []string{"Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational", "Debug"}

// alert has Falco's JSON keys in the order Falco prints them.
type alert struct {
	Hostname     string         `json:"hostname"`
	Output       string         `json:"output"`
	OutputFields map[string]any `json:"output_fields"`
	Priority     string         `json:"priority"`
	Rule         string         `json:"rule"`
	Source       string         `json:"source"`
	Tags         []string       `json:"tags"`
	Time         string         `json:"time"`
}

type writer struct {
	dir, path   string
	rotateBytes int64
	maxFiles    int
	f           *os.File
	size        int64
	rotations   int
	lastStamp   string
}

func main() {
	root := flag.String("root", "", "the pod-log root (a node's /var/log/pods)")
	namespace := flag.String("namespace", "falco", "the Falco pod's namespace")
	pod := flag.String("pod", "falco-x7k2p", "the Falco pod's name")
	uid := flag.String("uid", "5f0c1c7e-3a52-4d6e-9b1a-2f4c8d9e0a11", "the Falco pod's UID")
	container := flag.String("container", "falco", "the container")
	fixtures := flag.String("fixtures", "", "JSON lines of real alerts, written first (ids 1…n)")
	startID := flag.Int64("start-id", 1, "evt.num of the first alert")
	count := flag.Int64("count", 1000, "alerts to write (fixtures included)")
	rate := flag.Float64("rate", 100, "alerts per second; 0: as fast as possible")
	bigEvery := flag.Int64("big-every", 50, "every n-th generated alert has a command line over 16 KiB (0: none)")
	padding := flag.Int("padding", 0, "extra bytes in each generated alert's proc.cmdline")
	startup := flag.Bool("startup-lines", true, "write Falco's plain-text start-up lines to stderr first")
	rotateBytes := flag.Int64("rotate-bytes", 10*1024*1024, "rotate 0.log once it is past this size (0: never)")
	maxFiles := flag.Int("max-files", 5, "log files the kubelet keeps per container, 0.log included")
	flag.Parse()
	if *root == "" {
		log.Fatal("podlog: -root is required")
	}

	dir := filepath.Join(*root, fmt.Sprintf("%s_%s_%s", *namespace, *pod, *uid), *container)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		log.Fatalf("podlog: %v", err)
	}
	w := &writer{dir: dir, path: filepath.Join(dir, "0.log"), rotateBytes: *rotateBytes, maxFiles: *maxFiles}
	if err := w.open(); err != nil {
		log.Fatalf("podlog: %v", err)
	}

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)

	start := time.Now()
	if *startup {
		for _, l := range startupLines(start) {
			w.line(time.Now(), "stderr", l)
		}
	}
	var fixtureAlerts []alert
	if *fixtures != "" {
		fixtureAlerts = readFixtures(*fixtures)
	}

	id := *startID
	written := int64(0)
	var interval time.Duration
	if *rate > 0 {
		interval = time.Duration(float64(time.Second) / *rate)
	}
	next := time.Now()
loop:
	for written < *count {
		select {
		case <-stop:
			break loop
		default:
		}
		if interval > 0 {
			if d := time.Until(next); d > 0 {
				time.Sleep(d)
			}
			next = next.Add(interval)
		}
		now := time.Now()
		var a alert
		if int(written) < len(fixtureAlerts) {
			a = fixtureAlerts[written]
			a.OutputFields["evt.num"] = id
		} else {
			a = generated(id, now, *bigEvery, *padding)
		}
		w.line(now, "stdout", marshal(a))
		id++
		written++
	}
	_ = w.f.Close()
	summary, _ := json.Marshal(map[string]any{"written": written, "first_id": *startID, "last_id": id - 1,
		"rotations": w.rotations, "seconds": time.Since(start).Seconds(), "dir": dir})
	fmt.Println(string(summary))
}

// marshal prints like Falco: no HTML escaping (Falco writes <NA>, not \u003cNA\u003e), no newline.
func marshal(a alert) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(a); err != nil {
		log.Fatalf("podlog: %v", err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// startupLines are the plain-text lines Falco prints on stderr before its first alert.
func startupLines(t time.Time) []string {
	stamp := t.UTC().Format("Mon Jan _2 15:04:05 2006")
	return []string{
		stamp + ": Falco version: 0.39.2 (x86_64)",
		stamp + ": Loading rules from:",
		stamp + ":    /etc/falco/falco_rules.yaml | schema validation: ok",
		stamp + ": Opening 'syscall' source with modern BPF probe.",
	}
}

func readFixtures(path string) []alert {
	f, err := os.Open(path)
	if err != nil {
		log.Fatalf("podlog: %v", err)
	}
	defer f.Close()
	var out []alert
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.UseNumber() // keeps 19-digit evt.time exact
		var a alert
		if err := dec.Decode(&a); err != nil {
			log.Fatalf("podlog: %s: %v", path, err)
		}
		out = append(out, a)
	}
	return out
}

// generated is an alert of priority id mod 8 whose output fields have every type Falco prints:
// strings, non-negative, negative and 19-digit integers, booleans, null (<NA>), lists and a float.
func generated(id int64, now time.Time, bigEvery int64, padding int) alert {
	priority := priorities[id%int64(len(priorities))]
	cmdline := fmt.Sprintf("cat /etc/shadow --id %d", id)
	if padding > 0 {
		cmdline += " " + strings.Repeat("p", padding)
	}
	if bigEvery > 0 && id%bigEvery == 0 {
		cmdline += " " + strings.Repeat("x", 40*1024)
	}
	clock := now.UTC().Format("15:04:05.000000000")
	fields := map[string]any{
		"evt.num":                    id,
		"evt.time":                   now.UnixNano(),
		"evt.type":                   "openat",
		"evt.is_async":               false,
		"fd.name":                    "/etc/shadow",
		"fd.num":                     int64(3),
		"proc.cmdline":               cmdline,
		"proc.name":                  "cat",
		"proc.pid":                   int64(4242),
		"proc.tty":                   int64(34816),
		"user.uid":                   int64(0),
		"user.loginuid":              int64(-1),
		"user.loginname":             nil,
		"container.id":               "45dd76eff80f",
		"container.image.repository": "docker.io/library/nginx",
		"k8s.ns.name":                "default",
		"k8s.pod.name":               "nginx",
		"proc.aname":                 []string{"bash", "runc", "containerd-shim"},
		"evt.latency.s":              0.000125,
		"evt.is_open_write":          true,
	}
	return alert{
		Hostname: "k8-worker-1",
		Output: fmt.Sprintf("%s: %s Sensitive file opened for reading by non-trusted program (file=/etc/shadow process=cat command=%.60s evt_num=%d)",
			clock, priority, cmdline, id),
		OutputFields: fields,
		Priority:     priority,
		Rule:         "Read sensitive file untrusted",
		Source:       "syscall",
		Tags:         []string{"T1555", "container", "filesystem", "host", "maturity_stable", "mitre_credential_access"},
		Time:         now.UTC().Format(time.RFC3339Nano),
	}
}

func (w *writer) open() error {
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		return err
	}
	w.f, w.size = f, st.Size()
	return nil
}

// line writes content as the runtime does: one write per CRI line, split at 16 KiB.
func (w *writer) line(t time.Time, stream, content string) {
	stamp := t.UTC().Format(time.RFC3339Nano)
	for len(content) > 0 {
		tag, part := "F", content
		if len(content) > criMaxLine {
			tag, part = "P", content[:criMaxLine]
		}
		content = content[len(part):]
		n, err := io.WriteString(w.f, stamp+" "+stream+" "+tag+" "+part+"\n")
		if err != nil {
			log.Fatalf("podlog: write: %v", err)
		}
		w.size += int64(n)
	}
	if w.rotateBytes > 0 && w.size > w.rotateBytes {
		if err := w.rotate(); err != nil {
			log.Fatalf("podlog: rotate: %v", err)
		}
	}
}

// rotate follows the kubelet's rotateLog: compress earlier rotated files, drop the oldest past
// maxFiles, rename 0.log to 0.log.<timestamp>, reopen 0.log.
func (w *writer) rotate() error {
	rotated, err := filepath.Glob(w.path + ".*")
	if err != nil {
		return err
	}
	var kept []string
	for _, r := range rotated {
		if strings.HasSuffix(r, ".tmp") {
			_ = os.Remove(r)
			continue
		}
		kept = append(kept, r)
	}
	sort.Strings(kept) // the timestamps sort by time
	// maxFiles counts 0.log and the file about to be rotated.
	for len(kept) > w.maxFiles-2 && len(kept) > 0 {
		if err := os.Remove(kept[0]); err != nil {
			return err
		}
		kept = kept[1:]
	}
	for _, r := range kept {
		if !strings.HasSuffix(r, ".gz") {
			if err := compress(r); err != nil {
				return err
			}
		}
	}
	stamp := time.Now().Format("20060102-150405")
	// Two rotations within a second would share a name; the kubelet rotates at most every 10 s.
	for stamp <= w.lastStamp {
		t, _ := time.ParseInLocation("20060102-150405", w.lastStamp, time.Local)
		stamp = t.Add(time.Second).Format("20060102-150405")
	}
	w.lastStamp = stamp
	if err := w.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(w.path, w.path+"."+stamp); err != nil {
		return err
	}
	w.rotations++
	return w.open()
}

// compress gzips path to path.gz through path.gz.tmp and removes path, like the kubelet.
func compress(path string) error {
	in, err := os.Open(path)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := path + ".gz.tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(out)
	if _, err := io.Copy(zw, in); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path+".gz"); err != nil {
		return err
	}
	return os.Remove(path)
}
