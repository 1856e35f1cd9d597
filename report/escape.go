package report

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Clean makes packet text safe for a terminal or a table cell: control
// characters (ANSI escapes included), invalid UTF-8 and Unicode format
// characters (bidi overrides) are shown as escapes instead of being passed
// through. Tabs become spaces; newlines are kept only when keepNewlines.
func Clean(s string, keepNewlines bool) string {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c >= 0x80 {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			writeHex(&b, s[i])
		case r == '\n' && keepNewlines:
			b.WriteByte('\n')
		case r == '\r' && keepNewlines:
			// dropped: CRLF shows as a newline
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			writeHex(&b, byte(r))
		case unicode.Is(unicode.Cf, r):
			b.WriteString(`\u`)
			const hex = "0123456789abcdef"
			for shift := 12; shift >= 0; shift -= 4 {
				b.WriteByte(hex[(r>>uint(shift))&0xf])
			}
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func writeHex(b *strings.Builder, c byte) {
	const hex = "0123456789abcdef"
	b.WriteString(`\x`)
	b.WriteByte(hex[c>>4])
	b.WriteByte(hex[c&0xf])
}

// CheckTerminal returns an error naming the first byte offset of s where a
// terminal would act on the text instead of showing it: a control character
// other than newline, DEL, a C1 control, invalid UTF-8 or a Unicode format
// character. Output built from Clean passes; tests use it to prove that every
// output path escapes what came from the wire.
func CheckTerminal(s string) error {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			return fmt.Errorf("report: invalid UTF-8 byte 0x%02x at offset %d", s[i], i)
		case r == '\n':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return fmt.Errorf("report: control character %U at offset %d", r, i)
		case unicode.Is(unicode.Cf, r):
			return fmt.Errorf("report: format character %U at offset %d", r, i)
		}
		i += size
	}
	return nil
}
