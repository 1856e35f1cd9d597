package sip

import (
	"bytes"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sipscope/sipscope/internal/fuzzseed"
)

// fuzzSeeds are the messages of the tests plus a few odd shapes.
func fuzzSeeds() []string {
	seeds := append([]string(nil), seedMessages...)
	return append(seeds,
		strings.ReplaceAll(seedInvite, "\r\n", "\n"),
		"\r\n\r\n"+seed100+seed200,
		"INVITE sip:b@h SIP/2.0\r\nv: SIP/2.0/TCP [::1]:5060;branch=z9hG4bKa;rport, SIP/2.0/UDP h2\r\nf: \"A, \\\"B\\\"\" <sip:a@h>;tag=1\r\nt: sip:b@h;tag=2\r\ni: x\r\nCSeq: 1 INVITE\r\nm: *\r\nl: 4\r\n\r\nbody",
		"OPTIONS sip:b@h SIP/2.0\r\nSubject: a\r\n b\r\n\tc\r\nContent-Length:\r\n 2\r\n\r\nhi",
		"SIP/2.0 200\nVia: SIP/2.0/UDP h\r\nContact: <tel:+1;x=y>, sip:c@d;expires=0\nl: -1\n\nxx",
		"SIP/2.0 407 Proxy Authentication Required\r\nProxy-Authenticate: Digest realm=\"a,b\", nonce=\"1\", Digest realm=\"b\"\r\nAuthorization: Bearer abc==\r\n\r\n",
		"SIP/2.0 2x0 OK\r\n\r\n",
		"FOO sip:x SIP/2.0\r\nRecord-Route: <sip:p1;lr>,<sip:p2;lr>\r\nRoute: <sip:p3>\r\nExpires: 60\r\nMax-Forwards: 70\r\nContent-Length: 99\r\n\r\nshort",
		"\x80\x08\x1c\x6e\x00\x00\x54\x60\xf1\x2a\x4b\x6e",
		"GET / HTTP/1.1\r\n\r\n",
	)
}

// checkMessage asserts the invariants every parsed message keeps.
func checkMessage(t *testing.T, m *Message, inputLen int) {
	t.Helper()
	if m == nil {
		t.Fatal("nil message without an error")
	}
	if len(m.Raw) > inputLen || len(m.Raw) > MaxMessageSize || len(m.Raw) == 0 {
		t.Fatalf("Raw is %d bytes, input %d", len(m.Raw), inputLen)
	}
	if n := len(m.Body); n > 0 && (n > len(m.Raw) || &m.Body[n-1] != &m.Raw[len(m.Raw)-1]) {
		t.Fatal("Body is not the end of Raw")
	}
	if m.Body != nil && len(m.Body) == 0 {
		t.Fatal("empty non-nil Body")
	}
	if len(m.Headers()) > MaxHeaders {
		t.Fatalf("%d headers", len(m.Headers()))
	}
	for _, n := range []int{len(m.Via), len(m.Contact), len(m.Route), len(m.RecordRoute)} {
		if n > MaxListItems {
			t.Fatalf("a list of %d values", n)
		}
	}
	if len(m.Contact) > 0 && m.Contact[0].URI.Params.Len() > MaxParams {
		t.Fatalf("%d URI parameters", m.Contact[0].URI.Params.Len())
	}
	lists := []Params{m.From.Params, m.From.URI.Params, m.To.Params, m.To.URI.Params}
	for _, v := range m.Via {
		lists = append(lists, v.Params)
	}
	for _, c := range m.Contact {
		lists = append(lists, c.Params, c.URI.Params)
	}
	for _, p := range lists {
		checkParams(t, p)
	}
	if m.From.Tag != m.From.Params.Get("tag") || m.To.Tag != m.To.Params.Get("tag") {
		t.Fatalf("tags %q %q differ from the tag parameters", m.From.Tag, m.To.Tag)
	}
	if m.IsRequest {
		if !isToken(m.Method) || m.RequestURI == "" || m.StatusCode != 0 {
			t.Fatalf("bad request line: %q %q %d", m.Method, m.RequestURI, m.StatusCode)
		}
	} else if m.StatusCode < 100 || m.StatusCode > 699 || m.Method != "" {
		t.Fatalf("bad status line: %d", m.StatusCode)
	}
	if !bytes.HasPrefix(m.Raw, []byte(m.FirstLine())) {
		t.Fatalf("FirstLine %q is not the start of Raw", m.FirstLine())
	}
	_ = m.Summary()
	for _, h := range m.Headers() {
		if h.Key != CanonicalKey(h.Name) {
			t.Fatalf("Key %q for name %q", h.Key, h.Name)
		}
		if _, ok := m.Header(h.Name); !ok {
			t.Fatalf("Header(%q) not found", h.Name)
		}
	}
	_ = m.Auth("Authorization")
	_ = m.Auth("Proxy-Authenticate")
	if m.ContentLength < -1 || m.Expires < -1 || m.MaxForwards < -1 {
		t.Fatal("negative number other than -1")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	for _, p := range fuzzseed.SIPPayloads(f) {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := bytes.Clone(data)
		m, err := Parse(in)
		if err != nil {
			if m != nil {
				t.Fatal("message with an error")
			}
			if !errors.Is(err, ErrNotSIP) && !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error %v", err)
			}
			if errors.Is(err, ErrNotSIP) && LooksLikeSIP(data) {
				t.Fatalf("LooksLikeSIP but %v", err)
			}
			return
		}
		checkMessage(t, m, len(data))

		// The message is a copy: clobbering the input changes nothing.
		raw, callID, headers := string(m.Raw), m.CallID, slices.Clone(m.Headers())
		for i := range in {
			in[i] = 0
		}
		if string(m.Raw) != raw || m.CallID != callID || !reflect.DeepEqual(m.Headers(), headers) {
			t.Fatal("message shares memory with its input")
		}

		// Parsing Raw again gives the same message.
		m2, err := Parse(m.Raw)
		if err != nil {
			t.Fatalf("re-parsing Raw: %v", err)
		}
		if !bytes.Equal(m2.Raw, m.Raw) || !reflect.DeepEqual(m2.Headers(), m.Headers()) {
			t.Fatal("re-parsing Raw gives another message")
		}
	})
}

func FuzzParseStream(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	for _, p := range fuzzseed.SIPPayloads(f) {
		f.Add(p)
	}
	for _, s := range fuzzseed.TCPStreams(f) {
		f.Add(s)
	}
	f.Add([]byte(seedInvite[:len(seedInvite)-5]))
	f.Add([]byte("\r\n\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, n, err := ParseStream(data)
		if n < 0 || n > len(data) {
			t.Fatalf("n = %d for %d bytes", n, len(data))
		}
		switch {
		case err == nil:
			checkMessage(t, m, n)
			// Datagram parsing of the same bytes agrees.
			md, err := Parse(data[:n])
			if err != nil {
				t.Fatalf("Parse of a framed message: %v", err)
			}
			if !bytes.Equal(md.Raw, m.Raw) || !reflect.DeepEqual(md.Headers(), m.Headers()) {
				t.Fatal("Parse and ParseStream disagree")
			}
			// One byte less is incomplete.
			if _, _, err := ParseStream(data[:n-1]); !errors.Is(err, ErrIncomplete) {
				t.Fatalf("prefix of a message: %v, want ErrIncomplete", err)
			}
		case errors.Is(err, ErrIncomplete):
			if m != nil || strings.Trim(string(data[:n]), "\r\n") != "" {
				t.Fatalf("incomplete: message %v, n %d", m != nil, n)
			}
		case errors.Is(err, ErrNotSIP), errors.Is(err, ErrMalformed):
			if m != nil {
				t.Fatal("message with an error")
			}
		default:
			t.Fatalf("unexpected error %v", err)
		}

		// Consuming the whole input always ends.
		for off, steps := 0, 0; off < len(data); steps++ {
			if steps > len(data) {
				t.Fatal("no progress")
			}
			_, n, err := ParseStream(data[off:])
			if n == 0 && err != nil {
				break
			}
			off += n
		}
	})
}

// checkParams asserts that All, Lookup, Len and Map agree: each name once,
// lower-cased, with the value Lookup gives for it in any case.
func checkParams(t *testing.T, p Params) {
	t.Helper()
	n := 0
	seen := map[string]bool{}
	for k, v := range p.All() {
		if seen[k] || k != lowerASCII(k) || k == "" {
			t.Fatalf("All yields %q twice, or not lower-cased, in %q", k, p.Raw())
		}
		seen[k] = true
		if got, ok := p.Lookup(upperASCII(k)); !ok || got != v {
			t.Fatalf("Lookup(%q) = %q, %v; All gave %q (params %q)", k, got, ok, v, p.Raw())
		}
		n++
	}
	if n != p.Len() || n != len(p.Map()) || n > MaxParams {
		t.Fatalf("All gave %d, Len %d, Map %d (params %q)", n, p.Len(), len(p.Map()), p.Raw())
	}
}
