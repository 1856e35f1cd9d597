package digest_test

import (
	"fmt"

	"github.com/sipscope/sipscope/decode/sip"
	"github.com/sipscope/sipscope/decode/sip/digest"
)

// Verify the seed capture's second REGISTER: the phone's password is 1011.
func ExampleParseCredentials() {
	a, _ := sip.ParseAuth(`Digest username="1011",realm="47.98.109.96",` +
		`nonce="b54499e4-9083-4853-a1c4-d9b0756af9a2",uri="sip:47.98.109.96",` +
		`response="e55ca998d27ee109798c60b2ef646ff3",algorithm=MD5,` +
		`cnonce="b8877d7c2d75cd7c67ec9ab96d9c55ea",qop=auth,nc=00000001`)
	c, err := digest.ParseCredentials(a)
	if err != nil {
		fmt.Println(err)
		return
	}
	p := c.Params(c.Username, "REGISTER", nil)
	fmt.Println(p.Verify("1011", c.Response), p.Verify("1234", c.Response))
	// Output: true false
}

// Search a response's password among the username's obvious variants.
func ExampleAudit() {
	p := digest.Params{Algorithm: digest.MD5, Username: "1011", Realm: "47.98.109.96",
		Nonce: "b54499e4-9083-4853-a1c4-d9b0756af9a2", CNonce: "b8877d7c2d75cd7c67ec9ab96d9c55ea",
		NC: "00000001", QOP: digest.QOPAuth, Method: "REGISTER", URI: "sip:47.98.109.96"}
	t, _ := digest.NewTarget(p, "e55ca998d27ee109798c60b2ef646ff3")
	a := digest.NewAudit([]*digest.Target{t})
	for _, g := range digest.Guesses("1011") {
		a.TryTarget(0, g.Password)
	}
	pw, ok := a.Found(0)
	fmt.Println(pw, ok)
	// Output: 1011 true
}
