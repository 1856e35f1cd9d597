package scenario

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/sipscope/sipscope/internal/pcapgen"
)

// Addresses of the digest authentication case, as seen on the PBX.
var (
	// DAPBX is the PBX, realm "pbx.example.com".
	DAPBX = netip.MustParseAddrPort("198.51.100.10:5060")
	// DAAlice, DA1001, DABob, DACarol and DADave are the phones.
	DAAlice = netip.MustParseAddrPort("203.0.113.21:5060")
	DA1001  = netip.MustParseAddrPort("203.0.113.22:5060")
	DABob   = netip.MustParseAddrPort("203.0.113.23:5060")
	DACarol = netip.MustParseAddrPort("203.0.113.24:5060")
	DADave  = netip.MustParseAddrPort("203.0.113.25:5060")
)

// The accounts of the digest authentication case: the passwords the PBX
// holds. Bob's phone is configured with "hunter2" instead.
const (
	DAAlicePassword = "Zebra-42-Horse"
	DA1001Password  = "1001"
	DABobPassword   = "Hunter2!"
	DACarolPassword = "Carol-Pw-77"
	DADavePassword  = "Dave-Pw-31"
)

// DigestAuth returns the packets of a PBX's digest authentication traffic,
// one exchange of each kind a ticket meets, as captured on the PBX
// (realm "pbx.example.com"). Frame numbers, 1-based:
//
//   - 1-4: alice registers; the 401 offers SHA-256 and MD5 (RFC 8760), both
//     with qop=auth and one nonce; she answers with SHA-256 and her
//     password; 200.
//   - 5-8: 1001 registers with MD5 qop=auth; its password is "1001"; 200.
//   - 9-12: bob's phone answers with "hunter2" where the PBX holds
//     "Hunter2!"; 403.
//   - 13-18: alice calls 2000; the 407 asks for MD5-sess with qop
//     auth-int or auth and an opaque; she answers auth-int (the SDP body
//     hashed in); 200; the ACK of the 2xx copies her credentials.
//   - 19-22 and 23-26: carol registers, then subscribes under another
//     Call-ID; the PBX challenges RFC 2069 style (MD5, no qop) and hands
//     out the same nonce both times; carol answers both; 200 each.
//   - 27-30: dave is behind a SIP ALG that rewrote the Request-URI to the
//     PBX's address; his digest uri still says sip:pbx.example.com; the PBX
//     refuses it with a new 401.
//
// The digest responses were computed for these passwords with Python's
// hashlib (RFC 7616 §3.4's formulas), not with sipscope's own code.
func DigestAuth() []pcapgen.Packet {
	t := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	var pkts []pcapgen.Packet
	send := func(gap time.Duration, src, dst netip.AddrPort, msg string) {
		t = t.Add(gap)
		pkts = append(pkts, pcapgen.Packet{Time: t, Src: src, Dst: dst, Proto: pcapgen.UDP, Payload: sipText(msg)})
	}
	const ms = time.Millisecond
	const realm = `realm="pbx.example.com"`

	// alice registers with SHA-256.
	reg := func(user, callID, branch string, cseq int, extra string) string {
		return "REGISTER sip:pbx.example.com SIP/2.0\n" +
			"Via: SIP/2.0/UDP " + daPhone(user).String() + ";branch=" + branch + ";rport\n" +
			"From: <sip:" + user + "@pbx.example.com>;tag=" + user + "-t1\n" +
			"To: <sip:" + user + "@pbx.example.com>\n" +
			"Call-ID: " + callID + "\n" +
			"CSeq: " + strconv.Itoa(cseq) + " REGISTER\n" +
			"Contact: <sip:" + user + "@" + daPhone(user).String() + ">;expires=3600\n" +
			"Max-Forwards: 70\n" + extra +
			"Content-Length: 0\n\n"
	}
	resp := func(code int, reason, user, callID, branch string, cseq int, method, extra string) string {
		return "SIP/2.0 " + strconv.Itoa(code) + " " + reason + "\n" +
			"Via: SIP/2.0/UDP " + daPhone(user).String() + ";branch=" + branch + ";rport=5060;received=" + daPhone(user).Addr().String() + "\n" +
			"From: <sip:" + user + "@pbx.example.com>;tag=" + user + "-t1\n" +
			"To: <sip:" + user + "@pbx.example.com>;tag=pbx-" + branch[len(branch)-4:] + "\n" +
			"Call-ID: " + callID + "\n" +
			"CSeq: " + strconv.Itoa(cseq) + " " + method + "\n" + extra +
			"Server: ExamplePBX/1.0\n" +
			"Content-Length: 0\n\n"
	}

	send(0, DAAlice, DAPBX, reg("alice", "reg-alice@203.0.113.21", "z9hG4bK-a001", 1, ""))
	send(20*ms, DAPBX, DAAlice, resp(401, "Unauthorized", "alice", "reg-alice@203.0.113.21", "z9hG4bK-a001", 1, "REGISTER",
		"WWW-Authenticate: Digest "+realm+`, nonce="a3f1c2e4b5d6978812ab34cd56ef7890", algorithm=SHA-256, qop="auth"`+"\n"+
			"WWW-Authenticate: Digest "+realm+`, nonce="a3f1c2e4b5d6978812ab34cd56ef7890", algorithm=MD5, qop="auth"`+"\n"))
	send(30*ms, DAAlice, DAPBX, reg("alice", "reg-alice@203.0.113.21", "z9hG4bK-a002", 2,
		`Authorization: Digest username="alice", `+realm+`, nonce="a3f1c2e4b5d6978812ab34cd56ef7890", uri="sip:pbx.example.com", `+
			`response="be2c19f30cd48b5f85e46fa2ffc9569152a3f4f283d5c4dd97428dc9248cd1f9", algorithm=SHA-256, cnonce="6b8b4567327b23c6", qop=auth, nc=00000001`+"\n"))
	send(20*ms, DAPBX, DAAlice, resp(200, "OK", "alice", "reg-alice@203.0.113.21", "z9hG4bK-a002", 2, "REGISTER",
		"Contact: <sip:alice@203.0.113.21:5060>;expires=3600\n"))

	// 1001's password is its name.
	send(time.Second, DA1001, DAPBX, reg("1001", "reg-1001@203.0.113.22", "z9hG4bK-b001", 1, ""))
	send(20*ms, DAPBX, DA1001, resp(401, "Unauthorized", "1001", "reg-1001@203.0.113.22", "z9hG4bK-b001", 1, "REGISTER",
		"WWW-Authenticate: Digest "+realm+`, nonce="0b5e7d9f1a2c3e4f", algorithm=MD5, qop="auth"`+"\n"))
	send(30*ms, DA1001, DAPBX, reg("1001", "reg-1001@203.0.113.22", "z9hG4bK-b002", 2,
		`Authorization: Digest username="1001", `+realm+`, nonce="0b5e7d9f1a2c3e4f", uri="sip:pbx.example.com", `+
			`response="a0a98d5c254c243fa461d0e3d75ba48e", algorithm=MD5, cnonce="643c986966334873", qop=auth, nc=00000001`+"\n"))
	send(20*ms, DAPBX, DA1001, resp(200, "OK", "1001", "reg-1001@203.0.113.22", "z9hG4bK-b002", 2, "REGISTER",
		"Contact: <sip:1001@203.0.113.22:5060>;expires=3600\n"))

	// bob's phone holds the wrong password.
	send(time.Second, DABob, DAPBX, reg("bob", "reg-bob@203.0.113.23", "z9hG4bK-c001", 1, ""))
	send(20*ms, DAPBX, DABob, resp(401, "Unauthorized", "bob", "reg-bob@203.0.113.23", "z9hG4bK-c001", 1, "REGISTER",
		"WWW-Authenticate: Digest "+realm+`, nonce="7c1d2e3f4a5b6c7d", algorithm=MD5, qop="auth"`+"\n"))
	send(30*ms, DABob, DAPBX, reg("bob", "reg-bob@203.0.113.23", "z9hG4bK-c002", 2,
		`Authorization: Digest username="bob", `+realm+`, nonce="7c1d2e3f4a5b6c7d", uri="sip:pbx.example.com", `+
			`response="aa425f46fec218e0c26550a4cbdd9422", algorithm=MD5, cnonce="74b0dc5119495cff", qop=auth, nc=00000001`+"\n"))
	send(20*ms, DAPBX, DABob, resp(403, "Forbidden", "bob", "reg-bob@203.0.113.23", "z9hG4bK-c002", 2, "REGISTER", ""))

	// alice calls 2000: MD5-sess with auth-int.
	invite := func(branch string, cseq int, extra string) string {
		return "INVITE sip:2000@pbx.example.com SIP/2.0\n" +
			"Via: SIP/2.0/UDP 203.0.113.21:5060;branch=" + branch + ";rport\n" +
			"From: <sip:alice@pbx.example.com>;tag=alice-c1\n" +
			"To: <sip:2000@pbx.example.com>\n" +
			"Call-ID: call-alice-2000@203.0.113.21\n" +
			"CSeq: " + strconv.Itoa(cseq) + " INVITE\n" +
			"Contact: <sip:alice@203.0.113.21:5060>\n" +
			"Max-Forwards: 70\n" + extra +
			"Content-Type: application/sdp\n" +
			"Content-Length: " + strconv.Itoa(len(daSDP)) + "\n\n" + daSDP
	}
	callResp := func(code int, reason, branch string, cseq int, toTag, extra string) string {
		return "SIP/2.0 " + strconv.Itoa(code) + " " + reason + "\n" +
			"Via: SIP/2.0/UDP 203.0.113.21:5060;branch=" + branch + ";rport=5060;received=203.0.113.21\n" +
			"From: <sip:alice@pbx.example.com>;tag=alice-c1\n" +
			"To: <sip:2000@pbx.example.com>;tag=" + toTag + "\n" +
			"Call-ID: call-alice-2000@203.0.113.21\n" +
			"CSeq: " + strconv.Itoa(cseq) + " INVITE\n" + extra +
			"Server: ExamplePBX/1.0\n" +
			"Content-Length: 0\n\n"
	}
	ack := func(ruri, branch string, cseq int, toTag, extra string) string {
		return "ACK " + ruri + " SIP/2.0\n" +
			"Via: SIP/2.0/UDP 203.0.113.21:5060;branch=" + branch + ";rport\n" +
			"From: <sip:alice@pbx.example.com>;tag=alice-c1\n" +
			"To: <sip:2000@pbx.example.com>;tag=" + toTag + "\n" +
			"Call-ID: call-alice-2000@203.0.113.21\n" +
			"CSeq: " + strconv.Itoa(cseq) + " ACK\n" +
			"Max-Forwards: 70\n" + extra +
			"Content-Length: 0\n\n"
	}
	proxyAuth := `Proxy-Authorization: Digest username="alice", ` + realm + `, nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", uri="sip:2000@pbx.example.com", ` +
		`response="fc34ef2860d40023782251ab9e72a2ca", algorithm=MD5-sess, cnonce="2ae8944a625558ec", qop=auth-int, nc=00000001, opaque="op4-5ccc069c403ebaf9"` + "\n"
	send(time.Second, DAAlice, DAPBX, invite("z9hG4bK-d001", 1, ""))
	send(20*ms, DAPBX, DAAlice, callResp(407, "Proxy Authentication Required", "z9hG4bK-d001", 1, "pbx-407",
		"Proxy-Authenticate: Digest "+realm+`, nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", algorithm=MD5-sess, qop="auth-int,auth", opaque="op4-5ccc069c403ebaf9"`+"\n"))
	send(10*ms, DAAlice, DAPBX, ack("sip:2000@pbx.example.com", "z9hG4bK-d001", 1, "pbx-407", ""))
	send(20*ms, DAAlice, DAPBX, invite("z9hG4bK-d002", 2, proxyAuth))
	send(900*ms, DAPBX, DAAlice, callResp(200, "OK", "z9hG4bK-d002", 2, "pbx-2000",
		"Contact: <sip:2000@198.51.100.10:5060>\n"))
	send(20*ms, DAAlice, DAPBX, ack("sip:2000@198.51.100.10:5060", "z9hG4bK-d003", 2, "pbx-2000", proxyAuth))

	// carol: RFC 2069 challenges, and the PBX reuses its nonce.
	send(time.Second, DACarol, DAPBX, reg("carol", "reg-carol@203.0.113.24", "z9hG4bK-e001", 1, ""))
	send(20*ms, DAPBX, DACarol, resp(401, "Unauthorized", "carol", "reg-carol@203.0.113.24", "z9hG4bK-e001", 1, "REGISTER",
		`WWW-Authenticate: Digest algorithm=MD5, `+realm+`, nonce="5f3a9c1e"`+"\n"))
	send(30*ms, DACarol, DAPBX, reg("carol", "reg-carol@203.0.113.24", "z9hG4bK-e002", 2,
		`Authorization: Digest username="carol",`+realm+`,nonce="5f3a9c1e",uri="sip:pbx.example.com",response="0ef9b2dbcb39ea3a6cd782a7640d76ec",algorithm=MD5`+"\n"))
	send(20*ms, DAPBX, DACarol, resp(200, "OK", "carol", "reg-carol@203.0.113.24", "z9hG4bK-e002", 2, "REGISTER",
		"Contact: <sip:carol@203.0.113.24:5060>;expires=3600\n"))
	subscribe := func(branch string, cseq int, extra string) string {
		return "SUBSCRIBE sip:carol@pbx.example.com SIP/2.0\n" +
			"Via: SIP/2.0/UDP 203.0.113.24:5060;branch=" + branch + ";rport\n" +
			"From: <sip:carol@pbx.example.com>;tag=carol-t1\n" +
			"To: <sip:carol@pbx.example.com>\n" +
			"Call-ID: sub-carol@203.0.113.24\n" +
			"CSeq: " + strconv.Itoa(cseq) + " SUBSCRIBE\n" +
			"Contact: <sip:carol@203.0.113.24:5060>\n" +
			"Event: message-summary\n" +
			"Expires: 3600\n" +
			"Max-Forwards: 70\n" + extra +
			"Content-Length: 0\n\n"
	}
	subResp := func(code int, reason, branch string, cseq int, extra string) string {
		return "SIP/2.0 " + strconv.Itoa(code) + " " + reason + "\n" +
			"Via: SIP/2.0/UDP 203.0.113.24:5060;branch=" + branch + ";rport=5060;received=203.0.113.24\n" +
			"From: <sip:carol@pbx.example.com>;tag=carol-t1\n" +
			"To: <sip:carol@pbx.example.com>;tag=pbx-" + branch[len(branch)-4:] + "\n" +
			"Call-ID: sub-carol@203.0.113.24\n" +
			"CSeq: " + strconv.Itoa(cseq) + " SUBSCRIBE\n" + extra +
			"Server: ExamplePBX/1.0\n" +
			"Content-Length: 0\n\n"
	}
	send(2*time.Second, DACarol, DAPBX, subscribe("z9hG4bK-f001", 1, ""))
	send(20*ms, DAPBX, DACarol, subResp(401, "Unauthorized", "z9hG4bK-f001", 1,
		`WWW-Authenticate: Digest algorithm=MD5, `+realm+`, nonce="5f3a9c1e"`+"\n"))
	send(30*ms, DACarol, DAPBX, subscribe("z9hG4bK-f002", 2,
		`Authorization: Digest username="carol",`+realm+`,nonce="5f3a9c1e",uri="sip:carol@pbx.example.com",response="3494bb5a2ba47192c68ba2232a51f9d7",algorithm=MD5`+"\n"))
	send(20*ms, DAPBX, DACarol, subResp(200, "OK", "z9hG4bK-f002", 2, "Expires: 3600\n"))

	// dave: a SIP ALG rewrote the Request-URI, not the digest uri.
	daveReg := func(branch string, cseq int, extra string) string {
		return strings.Replace(reg("dave", "reg-dave@203.0.113.25", branch, cseq, extra),
			"REGISTER sip:pbx.example.com SIP/2.0", "REGISTER sip:198.51.100.10 SIP/2.0", 1)
	}
	send(time.Second, DADave, DAPBX, daveReg("z9hG4bK-g001", 1, ""))
	send(20*ms, DAPBX, DADave, resp(401, "Unauthorized", "dave", "reg-dave@203.0.113.25", "z9hG4bK-g001", 1, "REGISTER",
		"WWW-Authenticate: Digest "+realm+`, nonce="e2b7c4d1", algorithm=MD5, qop="auth"`+"\n"))
	send(30*ms, DADave, DAPBX, daveReg("z9hG4bK-g002", 2,
		`Authorization: Digest username="dave", `+realm+`, nonce="e2b7c4d1", uri="sip:pbx.example.com", `+
			`response="62b23a477fdd1d5146e39916d09157dc", algorithm=MD5, cnonce="238e1f2946e87ccd", qop=auth, nc=00000001`+"\n"))
	send(20*ms, DAPBX, DADave, resp(401, "Unauthorized", "dave", "reg-dave@203.0.113.25", "z9hG4bK-g002", 2, "REGISTER",
		"WWW-Authenticate: Digest "+realm+`, nonce="e2b7c4d2", algorithm=MD5, qop="auth"`+"\n"))
	return pkts
}

// daSDP is alice's offer, hashed into her auth-int response.
const daSDP = "v=0\r\no=alice 2890844526 2890844526 IN IP4 203.0.113.21\r\ns=-\r\nc=IN IP4 203.0.113.21\r\nt=0 0\r\n" +
	"m=audio 49170 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"

func daPhone(user string) netip.AddrPort {
	switch user {
	case "alice":
		return DAAlice
	case "1001":
		return DA1001
	case "bob":
		return DABob
	case "carol":
		return DACarol
	}
	return DADave
}

// sipText turns a message written with LF line ends into the wire form:
// CRLF in the start line and headers, the body (already CRLF) untouched.
func sipText(msg string) []byte {
	head, body, _ := strings.Cut(msg, "\n\n")
	return []byte(strings.ReplaceAll(head, "\n", "\r\n") + "\r\n\r\n" + body)
}
