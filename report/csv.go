package report

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"

	"github.com/sipscope/sipscope/correlate"
)

// csvHeader names the columns of CallsCSV, as the JSON fields are named.
var csvHeader = []string{
	"call_id", "kind", "from_user", "to_user", "from", "to", "state", "code",
	"start_time", "duration_ms", "message_count", "retransmissions",
}

// CallsCSV writes one row per call, for spreadsheets (sngrep users export
// CSV). Text from packets goes through CSVCell, so a crafted Call-ID or
// From cannot become a formula.
func CallsCSV(w io.Writer, calls []*correlate.Call) error { return CallRowsCSV(w, RowsOf(calls)) }

// CallRowsCSV is CallsCSV for rows.
func CallRowsCSV(w io.Writer, rows []CallRow) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}
	for _, r := range rows {
		code := ""
		if r.Code != 0 {
			code = itoa(r.Code)
		}
		if err := cw.Write([]string{
			CSVCell(r.CallID), CSVCell(r.Kind), CSVCell(r.FromUser), CSVCell(r.ToUser),
			CSVCell(r.From), CSVCell(r.To), r.RawState, code,
			Timestamp(r.Start), strconv.FormatFloat(ms(r.Duration), 'f', -1, 64),
			itoa(r.Messages), itoa(r.Retransmissions),
		}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// CSVCell makes packet text safe for a CSV cell: escaped as Clean does, and
// prefixed with an apostrophe when a spreadsheet would take it for a formula
// (it starts, perhaps after spaces, with =, +, -, @, TAB or CR; OWASP's CSV
// injection advice). Quoting is encoding/csv's business.
func CSVCell(s string) string {
	s = Clean(s, false)
	if t := strings.TrimLeft(s, " "); t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
		return "'" + s
	}
	return s
}
