//go:build !amd64 || purego

package md5x

var impls = []Impl{{"generic", hashGeneric}}

var hexImpls = []hexImpl{{"generic", putHexGeneric}}
