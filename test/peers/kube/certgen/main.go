// STAND-IN for registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9 (its `create` and `patch`
// subcommands, with the flags its README documents). That release cannot be built from the Go module
// proxy: its module path resolves to the old, archived repository. This program does what those two
// subcommands are documented to do, so the cert Jobs' arguments, their RBAC and the idempotence the
// deploy relies on can be tested against a real kube-apiserver.
//
// What it cannot show: the real binary's own behaviour (its key type and validity, its logging, any
// difference between its code and its documentation), and anything about the container image (that it
// runs as 65532 on a read-only root filesystem, that the pinned digest exists). Those stay unproven here.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
)

// Field manager of its updates, as a real certgen's would appear in managedFields.
const fieldManager = "kube-webhook-certgen"

// caKey is fixed in kube-webhook-certgen: the CA is always stored under "ca".
const caKey = "ca"

func main() {
	if len(os.Args) < 2 {
		fatal("usage: kube-webhook-certgen create|patch [flags]")
	}
	var err error
	switch os.Args[1] {
	case "create":
		err = create(os.Args[2:])
	case "patch":
		err = patch(os.Args[2:])
	default:
		fatal(fmt.Sprintf("unknown command %q (the stand-in knows create and patch)", os.Args[1]))
	}
	if err != nil {
		fatal(err.Error())
	}
}

func fatal(msg string) {
	fmt.Fprintln(os.Stderr, "kube-webhook-certgen (stand-in):", msg)
	os.Exit(1)
}

// globalFlags are the root command's persistent flags.
func globalFlags(fs *flag.FlagSet) *string {
	kubeconfig := fs.String("kubeconfig", "", "Path to kubeconfig file")
	fs.String("log-format", "text", "Log format: text|json (accepted, ignored)")
	fs.String("log-level", "info", "Log level (accepted, ignored)")
	return kubeconfig
}

func client(kubeconfig string) (*kubernetes.Clientset, error) {
	// The real tool uses in-cluster config when --kubeconfig is empty; outside a pod the usual
	// loading rules (KUBECONFIG) stand in for the mounted service-account token.
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.UserAgent = fieldManager
	return kubernetes.NewForConfig(cfg)
}

func required(fs *flag.FlagSet, names ...string) error {
	for _, n := range names {
		if fs.Lookup(n).Value.String() == "" {
			return fmt.Errorf("required flag --%s not set", n)
		}
	}
	return nil
}

// caFromSecret returns the CA of the Secret, nil if the Secret does not exist.
func caFromSecret(ctx context.Context, c *kubernetes.Clientset, namespace, name string) ([]byte, error) {
	s, err := c.CoreV1().Secrets(namespace).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("error getting secret: %w", err)
	}
	ca := s.Data[caKey]
	if ca == nil {
		return nil, errors.New("got secret, but it did not contain a 'ca' key")
	}
	return ca, nil
}

func create(args []string) error {
	fs := flag.NewFlagSet("create", flag.ExitOnError)
	kubeconfig := globalFlags(fs)
	host := fs.String("host", "", "Comma-separated hostnames and IPs to generate a certificate for")
	secretName := fs.String("secret-name", "", "Name of the secret where certificate information will be written")
	namespace := fs.String("namespace", "", "Namespace of the secret where certificate information will be written")
	certName := fs.String("cert-name", "cert", "Name of cert file in the secret")
	keyName := fs.String("key-name", "key", "Name of key file in the secret")
	_ = fs.Parse(args)
	if err := required(fs, "host", "secret-name", "namespace"); err != nil {
		return err
	}
	c, err := client(*kubeconfig)
	if err != nil {
		return err
	}
	ctx := context.Background()
	ca, err := caFromSecret(ctx, c, *namespace, *secretName)
	if err != nil {
		return err
	}
	if ca != nil {
		fmt.Println("secret already exists")
		return nil
	}
	caPEM, certPEM, keyPEM, err := generate(strings.Split(*host, ","))
	if err != nil {
		return err
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: *secretName},
		Data:       map[string][]byte{caKey: caPEM, *certName: certPEM, *keyName: keyPEM},
	}
	if _, err := c.CoreV1().Secrets(*namespace).Create(ctx, secret, metav1.CreateOptions{FieldManager: fieldManager}); err != nil {
		return fmt.Errorf("failed creating secret: %w", err)
	}
	fmt.Println("created secret")
	return nil
}

func patch(args []string) error {
	fs := flag.NewFlagSet("patch", flag.ExitOnError)
	kubeconfig := globalFlags(fs)
	secretName := fs.String("secret-name", "", "Name of the secret where certificate information will be read from")
	namespace := fs.String("namespace", "", "Namespace of the secret where certificate information will be read from")
	webhookName := fs.String("webhook-name", "", "Name of validatingwebhookconfiguration and mutatingwebhookconfiguration that will be updated")
	patchValidating := fs.Bool("patch-validating", true, "If true, patch validatingwebhookconfiguration")
	patchMutating := fs.Bool("patch-mutating", true, "If true, patch mutatingwebhookconfiguration")
	failurePolicy := fs.String("patch-failure-policy", "", "If set, patch the webhooks with this failure policy (Ignore or Fail)")
	_ = fs.Parse(args)
	if err := required(fs, "secret-name", "namespace", "webhook-name"); err != nil {
		return err
	}
	if !*patchMutating && !*patchValidating {
		return errors.New("patch-validating=false, patch-mutating=false. You must patch at least one kind of webhook, otherwise this command is a no-op")
	}
	var policy *admissionv1.FailurePolicyType
	switch *failurePolicy {
	case "":
	case "Ignore", "Fail":
		p := admissionv1.FailurePolicyType(*failurePolicy)
		policy = &p
	default:
		return fmt.Errorf("patch-failure-policy %s is not valid", *failurePolicy)
	}
	c, err := client(*kubeconfig)
	if err != nil {
		return err
	}
	ctx := context.Background()
	ca, err := caFromSecret(ctx, c, *namespace, *secretName)
	if err != nil {
		return err
	}
	if ca == nil {
		return fmt.Errorf("no secret with '%s' in '%s'", *secretName, *namespace)
	}
	update := metav1.UpdateOptions{FieldManager: fieldManager}
	if *patchValidating {
		h, err := c.AdmissionregistrationV1().ValidatingWebhookConfigurations().Get(ctx, *webhookName, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("failed getting validating webhook: %w", err)
		}
		for i := range h.Webhooks {
			h.Webhooks[i].ClientConfig.CABundle = ca
			if policy != nil {
				h.Webhooks[i].FailurePolicy = policy
			}
		}
		if _, err := c.AdmissionregistrationV1().ValidatingWebhookConfigurations().Update(ctx, h, update); err != nil {
			return fmt.Errorf("failed patching validating webhook: %w", err)
		}
	}
	if *patchMutating {
		h, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Get(ctx, *webhookName, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("failed getting mutating webhook: %w", err)
		}
		for i := range h.Webhooks {
			h.Webhooks[i].ClientConfig.CABundle = ca
			if policy != nil {
				h.Webhooks[i].FailurePolicy = policy
			}
		}
		if _, err := c.AdmissionregistrationV1().MutatingWebhookConfigurations().Update(ctx, h, update); err != nil {
			return fmt.Errorf("failed patching mutating webhook: %w", err)
		}
	}
	fmt.Println("Patched hook(s)")
	return nil
}

// generate makes a CA and a serving certificate for the hosts (DNS names or IPs), PEM-encoded.
func generate(hosts []string) (caPEM, certPEM, keyPEM []byte, err error) {
	now := time.Now()
	// 100 years, as the real tool documents.
	notAfter := now.AddDate(100, 0, 0)
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	caTemplate := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kube-webhook-certgen (stand-in) CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTemplate, caTemplate, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: hosts[0]},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			leaf.IPAddresses = append(leaf.IPAddresses, ip)
		} else if h != "" {
			leaf.DNSNames = append(leaf.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		return nil, nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}
