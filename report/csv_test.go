package report

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/sipscope/sipscope/correlate"
)

func TestCSVCell(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dda811eb-0664", "dda811eb-0664"},
		{"=1+1", "'=1+1"},
		{"+49301234", "'+49301234"},
		{"-2+3", "'-2+3"},
		{"@SUM(A1:A9)", "'@SUM(A1:A9)"},
		{"\t=cmd", "' =cmd"}, // the tab becomes a space, the cell still starts a formula
		{"\r=cmd", `\x0d=cmd`},
		{"  =HYPERLINK(\"http://evil\")", `'  =HYPERLINK("http://evil")`},
		{"a=b", "a=b"},
		{"\x1b[31mred", `\x1b[31mred`},
		{"", ""},
	}
	for _, tc := range tests {
		if got := CSVCell(tc.in); got != tc.want {
			t.Errorf("CSVCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// No cell of the CSV, read back as a spreadsheet would, starts a formula,
// and nothing in it can act on a terminal.
func TestCallsCSVNeutralisesFormulas(t *testing.T) {
	calls := []*correlate.Call{{
		CallID: "=cmd|' /C calc'!A0", Kind: "call", FromUser: "+1 555", ToUser: "@evil",
		From: "sip:-x@h", To: "sip:\x1b[2Jb@h", State: correlate.StateRejected, Code: 486,
		Start: time.Unix(1e9, 0), End: time.Unix(1e9+2, 0),
	}}
	var buf bytes.Buffer
	if err := CallsCSV(&buf, calls); err != nil {
		t.Fatal(err)
	}
	if err := CheckTerminal(buf.String()); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || len(rows[1]) != len(csvHeader) {
		t.Fatalf("rows %q", rows)
	}
	for i, cell := range rows[1] {
		if c := strings.TrimLeft(cell, " "); c != "" && strings.ContainsAny(c[:1], "=+-@\t\r") {
			t.Errorf("column %s starts a formula: %q", csvHeader[i], cell)
		}
	}
	if rows[1][7] != "486" || rows[1][9] != "2000" {
		t.Errorf("code %q, duration_ms %q", rows[1][7], rows[1][9])
	}
}
