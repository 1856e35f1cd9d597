package sip

// LooksLikeSIP reports whether data starts (after optional CR/LF keepalives)
// with a SIP start line: a request line "METHOD SP Request-URI SP SIP/2.0"
// ending at CRLF, LF or the end of data, with METHOD an RFC 3261 token, or a
// status line beginning "SIP/2.0 " and three digits.
//
// It is the cheap test the decoder runs on every payload to recognise SIP on
// any port: it does not allocate, and binary payloads (RTP, RTCP, STUN, TLS)
// are rejected on their first byte. It is stricter than Parse, which accepts
// more variations (other versions, runs of spaces).
func LooksLikeSIP(data []byte) bool {
	i := 0
	for i < len(data) && (data[i] == '\r' || data[i] == '\n') {
		i++
	}
	if i == len(data) || !tokenTable[data[i]] {
		return false
	}
	data = data[i:]
	if len(data) > MaxLineLength {
		data = data[:MaxLineLength]
	}
	if len(data) >= 8 && string(data[:8]) == "SIP/2.0 " {
		return len(data) >= 11 && isDigit(data[8]) && isDigit(data[9]) && isDigit(data[10])
	}
	j := 1
	for j < len(data) && tokenTable[data[j]] {
		j++
	}
	if j == len(data) || data[j] != ' ' {
		return false
	}
	j++
	k := j
	for k < len(data) && data[k] > ' ' && data[k] < 0x7f {
		k++
	}
	if k == j || k == len(data) || data[k] != ' ' {
		return false
	}
	k++
	if len(data)-k < 7 || string(data[k:k+7]) != "SIP/2.0" {
		return false
	}
	k += 7
	if k < len(data) && data[k] == '\r' {
		k++
	}
	return k == len(data) || data[k] == '\n'
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
