package report

import (
	"bytes"
	"encoding/json"
	"testing"
)

// JSON output keeps packet strings exact for a reader and inert for a
// terminal: bidi overrides, C1 controls and format characters above the BMP
// are escaped, and decoding gives back the very same string.
func TestWriteJSONEscapesFormatCharacters(t *testing.T) {
	in := map[string]string{"ua": "a\u202eb\x7f\u0085c\u009b31m\U000e0001d\x1b[31m<e>é€"}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	if err := CheckTerminal(buf.String()); err != nil {
		t.Errorf("%v in %s", err, buf.String())
	}
	for _, want := range []string{`\u202e`, `\u007f`, `\u0085`, `\u009b`, `\udb40\udc01`, `\u001b`, "é€"} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("output lacks %s: %s", want, buf.String())
		}
	}
	var out map[string]string
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil || out["ua"] != in["ua"] {
		t.Errorf("decoded %q (%v), want %q", out["ua"], err, in["ua"])
	}
}

// The live NDJSON stream escapes as WriteJSON does, one line per object.
func TestWriteNDJSONEscapesFormatCharacters(t *testing.T) {
	in := map[string]string{"reason": "Busy\u009b31m\x7f\u202eHere"}
	var buf bytes.Buffer
	if err := WriteNDJSON(&buf, in); err != nil {
		t.Fatal(err)
	}
	if err := CheckTerminal(buf.String()); err != nil {
		t.Errorf("%v in %s", err, buf.String())
	}
	if bytes.Count(buf.Bytes(), []byte("\n")) != 1 {
		t.Errorf("not one line: %q", buf.String())
	}
	var out map[string]string
	if err := json.Unmarshal(buf.Bytes(), &out); err != nil || out["reason"] != in["reason"] {
		t.Errorf("decoded %q (%v), want %q", out["reason"], err, in["reason"])
	}
}
