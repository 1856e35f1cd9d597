package digest

import (
	"strings"
	"testing"
)

// vector is a response with the password that made it.
type vector struct {
	name     string
	p        Params
	password string
	response string
}

// sdpBody is the body of the auth-int vectors.
const sdpBody = "v=0\r\no=alice 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0\r\n"

// vectors holds the RFC examples, the seed's REGISTER and, for every
// algorithm and qop, a response computed by a second implementation
// (Python's hashlib, with RFC 7616 §3.4's formulas written out by hand).
var vectors = func() []vector {
	vs := []vector{
		{
			name: "RFC 2617 §3.5",
			p: Params{Algorithm: MD5, Username: "Mufasa", Realm: "testrealm@host.com",
				Nonce: "dcd98b7102dd2f0e8b11d0f600bfb0c093", CNonce: "0a4f113b", NC: "00000001", QOP: QOPAuth,
				Method: "GET", URI: "/dir/index.html"},
			password: "Circle Of Life",
			response: "6629fae49393a05397450978507c4ef1",
		},
		{
			name: "RFC 7616 §3.9.1 MD5",
			p: Params{Algorithm: MD5, Username: "Mufasa", Realm: "http-auth@example.org",
				Nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", CNonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
				NC: "00000001", QOP: QOPAuth, Method: "GET", URI: "/dir/index.html"},
			password: "Circle of Life",
			response: "8ca523f5e9506fed4657c9700eebdbec",
		},
		{
			name: "RFC 7616 §3.9.1 SHA-256",
			p: Params{Algorithm: SHA256, Username: "Mufasa", Realm: "http-auth@example.org",
				Nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", CNonce: "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
				NC: "00000001", QOP: QOPAuth, Method: "GET", URI: "/dir/index.html"},
			password: "Circle of Life",
			response: "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
		},
		{
			// testdata/freeswitch-nat.pcap frame 3, as in ../shared/seed.
			name: "seed REGISTER",
			p: Params{Algorithm: MD5, Username: "1011", Realm: "47.98.109.96",
				Nonce: "b54499e4-9083-4853-a1c4-d9b0756af9a2", CNonce: "b8877d7c2d75cd7c67ec9ab96d9c55ea",
				NC: "00000001", QOP: QOPAuth, Method: "REGISTER", URI: "sip:47.98.109.96"},
			password: "1011",
			response: "e55ca998d27ee109798c60b2ef646ff3",
		},
	}
	base := Params{Username: "alice", Realm: "sip.example.com", Nonce: "a5f1c0de9b7e4d2f",
		CNonce: "0a4f113b", NC: "00000002", Method: "INVITE", URI: "sip:bob@sip.example.com", Body: []byte(sdpBody)}
	py := []struct {
		alg  Algorithm
		qop  string
		resp string
	}{
		{MD5, QOPNone, "a6d65769d7ad69c16fd479b7f85ea9be"},
		{MD5, QOPAuth, "99b7c98e487eb05b07d1e14bbf9b7aa6"},
		{MD5, QOPAuthInt, "ef0714d2f248535ccdefe00bbc58170e"},
		{MD5Sess, QOPNone, "7ef93b270223dab0a4988b77ca6b6733"},
		{MD5Sess, QOPAuth, "2fc17df25c2f2933b1fead99a1e5b611"},
		{MD5Sess, QOPAuthInt, "79ea7e3966cbabaa04ae4ad2f066010d"},
		{SHA256, QOPNone, "46f001d063d8d39307ba2d7363853a7173811b0c5914c60114f65d9c2bc3b06a"},
		{SHA256, QOPAuth, "8134da0307e122171041233a5172696bf60290c505af2a9b8ef59cd1711c3979"},
		{SHA256, QOPAuthInt, "523c5ee4a63c9cc52f1b843b5964a23aff42189deab0625a5c40ebd5a7d68821"},
		{SHA256Sess, QOPNone, "73f4b4eaa6958b90ddc9956f817b036e6d999860c3eaa861bf3e913a38a84d48"},
		{SHA256Sess, QOPAuth, "df5d34c1785afd3c45e0c945d6a175c844f0055bdd2c7d8756d81df38f35b405"},
		{SHA256Sess, QOPAuthInt, "956cdb5c2dba8861b18787f1900d2cb9333144c351910a12d244147dd5c00528"},
		{SHA512_256, QOPNone, "eef0bfe949c89190f17293aa74da86307a13251087cc38179e9500b811b0724f"},
		{SHA512_256, QOPAuth, "5d7981100835881e8232c374849274569dec9d2e5f85d1892a0f4bd39202df31"},
		{SHA512_256, QOPAuthInt, "46689d22728f43a8e92d0d86c08017a1626af9e21105917fdcf631030dc0b9cf"},
		{SHA512_256Sess, QOPNone, "3ae10e89e7635880c37df00558f012fd3822b9c0df132f2ec921cc4f53c2ec40"},
		{SHA512_256Sess, QOPAuth, "632061113154899f48720c6e049c54c218f803474adbbd014cbb96f83858d836"},
		{SHA512_256Sess, QOPAuthInt, "e3e890ff483da241245fa76272f682878c9f4d601cfadf54a42b07fe5669afd4"},
	}
	for _, v := range py {
		p := base
		p.Algorithm, p.QOP = v.alg, v.qop
		vs = append(vs, vector{name: v.alg.String() + " qop=" + v.qop, p: p, password: "s3cret!", response: v.resp})
	}
	return vs
}()

func TestResponse(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			if got := v.p.Response(v.password); got != v.response {
				t.Errorf("Response = %s, want %s", got, v.response)
			}
			if !v.p.Verify(v.password, strings.ToUpper(v.response)) {
				t.Error("Verify(right password, upper-case response) = false")
			}
			if v.p.Verify(v.password+"x", v.response) {
				t.Error("Verify(wrong password) = true")
			}
		})
	}
}

// The parts of RFC 2617 §3.5's example that the RFC does not print, as
// computed by hand from §3.2.2: they pin down which string each H() covers.
func TestHA1HA2(t *testing.T) {
	p := Params{Algorithm: MD5, Username: "Mufasa", Realm: "testrealm@host.com", Method: "GET", URI: "/dir/index.html"}
	if got, want := p.HA1("Circle Of Life"), "939e7578ed9e3c518a452acee763bce9"; got != want {
		t.Errorf("HA1 = %s, want %s", got, want)
	}
	if got, want := p.HA2(), "39aff3a2bab6126f332b942af96d3366"; got != want {
		t.Errorf("HA2 = %s, want %s", got, want)
	}
	// auth-int hashes the body into A2; an empty body is H("").
	p.QOP = QOPAuthInt
	if got, want := p.HA2(), MD5.Hex("GET", "/dir/index.html", MD5.Hex("")); got != want {
		t.Errorf("auth-int HA2 without a body = %s, want %s", got, want)
	}
	if got := (&Params{}).Response("x"); got != "" {
		t.Errorf("Response with an Unknown algorithm = %q, want empty", got)
	}
}

func TestUserHash(t *testing.T) {
	// Second opinion: Python hashlib.new("sha512_256", "Jäsøn Doe:api@example.org").
	got := UserHash(SHA512_256, "J\u00e4s\u00f8n Doe", "api@example.org")
	if want := "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b"; got != want {
		t.Errorf("UserHash = %s, want %s", got, want)
	}
}

func TestParseAlgorithm(t *testing.T) {
	tests := []struct {
		in   string
		want Algorithm
		size int
		sess bool
	}{
		{"", MD5, 16, false},
		{"MD5", MD5, 16, false},
		{"md5", MD5, 16, false},
		{"MD5-sess", MD5Sess, 16, true},
		{"MD5-SESS", MD5Sess, 16, true},
		{"SHA-256", SHA256, 32, false},
		{"sha-256-sess", SHA256Sess, 32, true},
		{"SHA-512-256", SHA512_256, 32, false},
		{"SHA-512-256-sess", SHA512_256Sess, 32, true},
		{"SHA-512", Unknown, 0, false},
		{"AKAv1-MD5", Unknown, 0, false},
		{"MD5 ", Unknown, 0, false},
	}
	for _, tt := range tests {
		got := ParseAlgorithm(tt.in)
		if got != tt.want || got.Size() != tt.size || got.Session() != tt.sess {
			t.Errorf("ParseAlgorithm(%q) = %v (size %d, sess %v), want %v (%d, %v)",
				tt.in, got, got.Size(), got.Session(), tt.want, tt.size, tt.sess)
		}
		if tt.want != Unknown && tt.in != "" && !strings.EqualFold(got.String(), tt.in) {
			t.Errorf("ParseAlgorithm(%q).String() = %q", tt.in, got.String())
		}
	}
	if s := Algorithm(200).String(); s != "unknown" {
		t.Errorf("out of range String() = %q", s)
	}
}
