// Command honeycomb stands in for Honeycomb's OTLP gRPC logs ingest (api.honeycomb.io:443) in the
// end-to-end tests and the pipeline benchmark.
//
// What it shows: which events, with which fields, field types, timestamps and dataset names,
// Honeycomb would store for each request. It translates every request with Honeycomb's own OTLP
// library (github.com/honeycombio/husky, otlp.TranslateLogsRequest), so dataset selection
// (getLogsDataset: service.name first, x-honeycomb-dataset only as a fallback), flattening of nested
// attributes and severity names are Honeycomb's, not ours. It requires x-honeycomb-team.
//
// What it cannot show: whether an API key is valid in a real team, TLS to Honeycomb, ingest limits
// and quotas, what happens after translation (column limits, storage, queries), and the exact error
// codes and retry hints the real service sends (it sends the ones it is told to).
//
// Control (HTTP, -control): POST /mode?mode=<up|down|unavailable|resource_exhausted|unauthenticated>&for=<duration>
// switches behaviour, back to up after `for` (none: until told otherwise). `down` closes the gRPC
// listener (connections refused), the others answer every export with that gRPC code.
// GET /stats returns counters as JSON.
//
// -lean (for the pipeline benchmark) stores per event only its dataset, time, arrival time and the
// alert's evt.num (from the parsed field, or from the raw JSON body when nothing parsed it), so the
// stand-in's own JSON encoding does not compete with the collector for the CPU it measures.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"sync"
	"syscall"
	"time"

	"github.com/honeycombio/husky/otlp"
	collectorlogs "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	// Honeycomb accepts gzip-compressed OTLP, the exporter's default.
	_ "google.golang.org/grpc/encoding/gzip"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"
)

// stored is one event as Honeycomb would store it, plus what the tests need to judge it.
type stored struct {
	Dataset string `json:"dataset"`
	// Time is the event's timestamp in Unix nanoseconds (exact; a float would round it).
	Time int64 `json:"time"`
	// StoredAt is when the stand-in wrote the event, Unix nanoseconds.
	StoredAt int64          `json:"stored_at"`
	Data     map[string]any `json:"data"`
	// Types names the Go type of each field as husky produced it (int64, float64, string, bool),
	// because JSON cannot tell 34816 the integer from 34816 the float.
	Types map[string]string `json:"types"`
}

// leanEvent is what -lean keeps of an event.
type leanEvent struct {
	Dataset  string `json:"dataset"`
	Time     int64  `json:"time"`
	StoredAt int64  `json:"stored_at"`
	ID       int64  `json:"id"`
}

var evtNum = regexp.MustCompile(`"evt\.num":(\d+)`)

type server struct {
	collectorlogs.UnimplementedLogsServiceServer
	apiKey string
	lean   bool

	mu        sync.Mutex
	mode      string
	until     time.Time
	out       *bufio.Writer
	outFile   *os.File
	requests  int64
	refused   map[string]int64
	events    int64
	datasets  map[string]int64
	listenOn  string
	grpcSrv   *grpc.Server
	isServing bool
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "OTLP gRPC address")
	control := flag.String("control", "127.0.0.1:0", "control HTTP address")
	outPath := flag.String("out", "events.jsonl", "where stored events go, one JSON object a line")
	readyFile := flag.String("ready-file", "", "written with {\"otlp\":…,\"control\":…} once both listen")
	apiKey := flag.String("api-key", "", "if set, any other x-honeycomb-team value is refused with Unauthenticated")
	lean := flag.Bool("lean", false, "store only dataset, time, arrival time and evt.num of each event")
	flag.Parse()

	f, err := os.OpenFile(*outPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		log.Fatalf("honeycomb stand-in: open %s: %v", *outPath, err)
	}
	s := &server{apiKey: *apiKey, lean: *lean, mode: "up", out: bufio.NewWriterSize(f, 1<<20), outFile: f,
		refused: map[string]int64{}, datasets: map[string]int64{}}

	lis, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("honeycomb stand-in: listen %s: %v", *listen, err)
	}
	s.listenOn = lis.Addr().String()
	s.serve(lis)

	ctl, err := net.Listen("tcp", *control)
	if err != nil {
		log.Fatalf("honeycomb stand-in: listen %s: %v", *control, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/mode", s.handleMode)
	mux.HandleFunc("/stats", s.handleStats)
	go func() { _ = http.Serve(ctl, mux) }()
	go s.expireModes()

	if *readyFile != "" {
		b, _ := json.Marshal(map[string]string{"otlp": s.listenOn, "control": ctl.Addr().String()})
		if err := os.WriteFile(*readyFile+".tmp", b, 0o644); err == nil {
			_ = os.Rename(*readyFile+".tmp", *readyFile)
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	s.mu.Lock()
	_ = s.out.Flush()
	_ = s.outFile.Close()
	s.mu.Unlock()
}

// serve starts a gRPC server on lis; must be called with s.mu unlocked or from main.
func (s *server) serve(lis net.Listener) {
	g := grpc.NewServer(grpc.MaxRecvMsgSize(64 << 20))
	collectorlogs.RegisterLogsServiceServer(g, s)
	s.grpcSrv = g
	s.isServing = true
	go func() { _ = g.Serve(lis) }()
}

func (s *server) Export(ctx context.Context, req *collectorlogs.ExportLogsServiceRequest) (*collectorlogs.ExportLogsServiceResponse, error) {
	ri := otlp.GetRequestInfoFromGrpcMetadata(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	mode := s.mode
	if mode != "up" {
		s.refused[mode]++
		switch mode {
		case "unavailable":
			return nil, status.Error(codes.Unavailable, "stand-in told to be unavailable")
		case "resource_exhausted":
			// With RetryInfo, as OTLP asks of a server that throttles; without it the exporter gives up.
			st, _ := status.New(codes.ResourceExhausted, "stand-in told to throttle").
				WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(time.Second)})
			return nil, st.Err()
		case "unauthenticated":
			return nil, status.Error(codes.Unauthenticated, "stand-in told to refuse the API key")
		}
	}
	if s.apiKey != "" && ri.ApiKey != s.apiKey && ri.ApiKey != "" {
		s.refused["wrong_key"]++
		return nil, status.Error(codes.Unauthenticated, "unknown API key")
	}
	result, err := otlp.TranslateLogsRequest(ctx, req, ri)
	if err != nil {
		s.refused["invalid"]++
		// husky's header errors (a missing x-honeycomb-team above all) are what Honeycomb refuses as unauthenticated.
		return nil, status.Error(codes.Unauthenticated, err.Error())
	}
	now := time.Now().UnixNano()
	enc := json.NewEncoder(s.out)
	for _, batch := range result.Batches {
		for _, ev := range batch.Events {
			if s.lean {
				if err := enc.Encode(leanEvent{Dataset: batch.Dataset, Time: ev.Timestamp.UnixNano(), StoredAt: now, ID: idOf(ev.Attributes)}); err != nil {
					return nil, status.Error(codes.Internal, err.Error())
				}
				s.events++
				s.datasets[batch.Dataset]++
				continue
			}
			types := make(map[string]string, len(ev.Attributes))
			for k, v := range ev.Attributes {
				types[k] = fmt.Sprintf("%T", v)
			}
			if err := enc.Encode(stored{Dataset: batch.Dataset, Time: ev.Timestamp.UnixNano(), StoredAt: now, Data: ev.Attributes, Types: types}); err != nil {
				return nil, status.Error(codes.Internal, err.Error())
			}
			s.events++
			s.datasets[batch.Dataset]++
		}
	}
	// Flushed before answering: what the collector saw acknowledged is on disk for the test to read.
	if err := s.out.Flush(); err != nil {
		return nil, status.Error(codes.Internal, err.Error())
	}
	return &collectorlogs.ExportLogsServiceResponse{}, nil
}

// idOf finds the alert's evt.num: parsed (falco.output_fields.evt.num) or in an unparsed JSON body.
func idOf(attrs map[string]any) int64 {
	if v, ok := attrs["falco.output_fields.evt.num"].(int64); ok {
		return v
	}
	if body, ok := attrs["body"].(string); ok {
		if m := evtNum.FindStringSubmatch(body); m != nil {
			var id int64
			fmt.Sscan(m[1], &id)
			return id
		}
	}
	return 0
}

func (s *server) handleMode(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	mode := r.URL.Query().Get("mode")
	switch mode {
	case "up", "down", "unavailable", "resource_exhausted", "unauthenticated":
	default:
		http.Error(w, "mode must be up, down, unavailable, resource_exhausted or unauthenticated", http.StatusBadRequest)
		return
	}
	var until time.Time
	if d := r.URL.Query().Get("for"); d != "" {
		dur, err := time.ParseDuration(d)
		if err != nil {
			http.Error(w, "for: "+err.Error(), http.StatusBadRequest)
			return
		}
		until = time.Now().Add(dur)
	}
	s.mu.Lock()
	s.setMode(mode, until)
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// setMode must be called with s.mu held.
func (s *server) setMode(mode string, until time.Time) {
	s.mode, s.until = mode, until
	if mode == "down" && s.isServing {
		// Stop in the background: it waits for in-flight Exports, which need s.mu.
		g := s.grpcSrv
		s.isServing = false
		go g.Stop()
	}
	if mode != "down" && !s.isServing {
		lis, err := listenRetry(s.listenOn)
		if err != nil {
			log.Printf("honeycomb stand-in: re-listen %s: %v", s.listenOn, err)
			return
		}
		s.serve(lis)
	}
}

func listenRetry(addr string) (net.Listener, error) {
	var err error
	for i := 0; i < 50; i++ {
		var lis net.Listener
		if lis, err = net.Listen("tcp", addr); err == nil {
			return lis, nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil, err
}

func (s *server) expireModes() {
	for range time.Tick(50 * time.Millisecond) {
		s.mu.Lock()
		if s.mode != "up" && !s.until.IsZero() && time.Now().After(s.until) {
			s.setMode("up", time.Time{})
		}
		s.mu.Unlock()
	}
}

func (s *server) handleStats(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	b, _ := json.Marshal(map[string]any{"mode": s.mode, "requests": s.requests, "refused": s.refused,
		"events": s.events, "datasets": s.datasets})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
