package md5x

import "math/bits"

// hashGeneric is the portable Hash: each lane in turn, one block at a time.
func hashGeneric(s *State, blocks []Block, shared []Words) {
	for l := range Lanes {
		a, b, c, d := s[0][l], s[1][l], s[2][l], s[3][l]
		for i := range blocks {
			var x Words
			for w := range x {
				x[w] = blocks[i][w][l]
			}
			a, b, c, d = block(a, b, c, d, &x)
		}
		for i := range shared {
			a, b, c, d = block(a, b, c, d, &shared[i])
		}
		s[0][l], s[1][l], s[2][l], s[3][l] = a, b, c, d
	}
}

// block is MD5's compression function (RFC 1321 §3.4) on one block x.
func block(a0, b0, c0, d0 uint32, x *Words) (a, b, c, d uint32) {
	a, b, c, d = a0, b0, c0, d0

	a = b + bits.RotateLeft32(d^(b&(c^d))+a+x[0]+0xd76aa478, 7)
	d = a + bits.RotateLeft32(c^(a&(b^c))+d+x[1]+0xe8c7b756, 12)
	c = d + bits.RotateLeft32(b^(d&(a^b))+c+x[2]+0x242070db, 17)
	b = c + bits.RotateLeft32(a^(c&(d^a))+b+x[3]+0xc1bdceee, 22)
	a = b + bits.RotateLeft32(d^(b&(c^d))+a+x[4]+0xf57c0faf, 7)
	d = a + bits.RotateLeft32(c^(a&(b^c))+d+x[5]+0x4787c62a, 12)
	c = d + bits.RotateLeft32(b^(d&(a^b))+c+x[6]+0xa8304613, 17)
	b = c + bits.RotateLeft32(a^(c&(d^a))+b+x[7]+0xfd469501, 22)
	a = b + bits.RotateLeft32(d^(b&(c^d))+a+x[8]+0x698098d8, 7)
	d = a + bits.RotateLeft32(c^(a&(b^c))+d+x[9]+0x8b44f7af, 12)
	c = d + bits.RotateLeft32(b^(d&(a^b))+c+x[10]+0xffff5bb1, 17)
	b = c + bits.RotateLeft32(a^(c&(d^a))+b+x[11]+0x895cd7be, 22)
	a = b + bits.RotateLeft32(d^(b&(c^d))+a+x[12]+0x6b901122, 7)
	d = a + bits.RotateLeft32(c^(a&(b^c))+d+x[13]+0xfd987193, 12)
	c = d + bits.RotateLeft32(b^(d&(a^b))+c+x[14]+0xa679438e, 17)
	b = c + bits.RotateLeft32(a^(c&(d^a))+b+x[15]+0x49b40821, 22)

	a = b + bits.RotateLeft32(c^(d&(b^c))+a+x[1]+0xf61e2562, 5)
	d = a + bits.RotateLeft32(b^(c&(a^b))+d+x[6]+0xc040b340, 9)
	c = d + bits.RotateLeft32(a^(b&(d^a))+c+x[11]+0x265e5a51, 14)
	b = c + bits.RotateLeft32(d^(a&(c^d))+b+x[0]+0xe9b6c7aa, 20)
	a = b + bits.RotateLeft32(c^(d&(b^c))+a+x[5]+0xd62f105d, 5)
	d = a + bits.RotateLeft32(b^(c&(a^b))+d+x[10]+0x02441453, 9)
	c = d + bits.RotateLeft32(a^(b&(d^a))+c+x[15]+0xd8a1e681, 14)
	b = c + bits.RotateLeft32(d^(a&(c^d))+b+x[4]+0xe7d3fbc8, 20)
	a = b + bits.RotateLeft32(c^(d&(b^c))+a+x[9]+0x21e1cde6, 5)
	d = a + bits.RotateLeft32(b^(c&(a^b))+d+x[14]+0xc33707d6, 9)
	c = d + bits.RotateLeft32(a^(b&(d^a))+c+x[3]+0xf4d50d87, 14)
	b = c + bits.RotateLeft32(d^(a&(c^d))+b+x[8]+0x455a14ed, 20)
	a = b + bits.RotateLeft32(c^(d&(b^c))+a+x[13]+0xa9e3e905, 5)
	d = a + bits.RotateLeft32(b^(c&(a^b))+d+x[2]+0xfcefa3f8, 9)
	c = d + bits.RotateLeft32(a^(b&(d^a))+c+x[7]+0x676f02d9, 14)
	b = c + bits.RotateLeft32(d^(a&(c^d))+b+x[12]+0x8d2a4c8a, 20)

	a = b + bits.RotateLeft32(b^c^d+a+x[5]+0xfffa3942, 4)
	d = a + bits.RotateLeft32(a^b^c+d+x[8]+0x8771f681, 11)
	c = d + bits.RotateLeft32(d^a^b+c+x[11]+0x6d9d6122, 16)
	b = c + bits.RotateLeft32(c^d^a+b+x[14]+0xfde5380c, 23)
	a = b + bits.RotateLeft32(b^c^d+a+x[1]+0xa4beea44, 4)
	d = a + bits.RotateLeft32(a^b^c+d+x[4]+0x4bdecfa9, 11)
	c = d + bits.RotateLeft32(d^a^b+c+x[7]+0xf6bb4b60, 16)
	b = c + bits.RotateLeft32(c^d^a+b+x[10]+0xbebfbc70, 23)
	a = b + bits.RotateLeft32(b^c^d+a+x[13]+0x289b7ec6, 4)
	d = a + bits.RotateLeft32(a^b^c+d+x[0]+0xeaa127fa, 11)
	c = d + bits.RotateLeft32(d^a^b+c+x[3]+0xd4ef3085, 16)
	b = c + bits.RotateLeft32(c^d^a+b+x[6]+0x04881d05, 23)
	a = b + bits.RotateLeft32(b^c^d+a+x[9]+0xd9d4d039, 4)
	d = a + bits.RotateLeft32(a^b^c+d+x[12]+0xe6db99e5, 11)
	c = d + bits.RotateLeft32(d^a^b+c+x[15]+0x1fa27cf8, 16)
	b = c + bits.RotateLeft32(c^d^a+b+x[2]+0xc4ac5665, 23)

	a = b + bits.RotateLeft32(c^(b|^d)+a+x[0]+0xf4292244, 6)
	d = a + bits.RotateLeft32(b^(a|^c)+d+x[7]+0x432aff97, 10)
	c = d + bits.RotateLeft32(a^(d|^b)+c+x[14]+0xab9423a7, 15)
	b = c + bits.RotateLeft32(d^(c|^a)+b+x[5]+0xfc93a039, 21)
	a = b + bits.RotateLeft32(c^(b|^d)+a+x[12]+0x655b59c3, 6)
	d = a + bits.RotateLeft32(b^(a|^c)+d+x[3]+0x8f0ccc92, 10)
	c = d + bits.RotateLeft32(a^(d|^b)+c+x[10]+0xffeff47d, 15)
	b = c + bits.RotateLeft32(d^(c|^a)+b+x[1]+0x85845dd1, 21)
	a = b + bits.RotateLeft32(c^(b|^d)+a+x[8]+0x6fa87e4f, 6)
	d = a + bits.RotateLeft32(b^(a|^c)+d+x[15]+0xfe2ce6e0, 10)
	c = d + bits.RotateLeft32(a^(d|^b)+c+x[6]+0xa3014314, 15)
	b = c + bits.RotateLeft32(d^(c|^a)+b+x[13]+0x4e0811a1, 21)
	a = b + bits.RotateLeft32(c^(b|^d)+a+x[4]+0xf7537e82, 6)
	d = a + bits.RotateLeft32(b^(a|^c)+d+x[11]+0xbd3af235, 10)
	c = d + bits.RotateLeft32(a^(d|^b)+c+x[2]+0x2ad7d2bb, 15)
	b = c + bits.RotateLeft32(d^(c|^a)+b+x[9]+0xeb86d391, 21)

	return a + a0, b + b0, c + c0, d + d0
}
