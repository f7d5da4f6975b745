// SPDX-License-Identifier: LGPL-2.1-or-later

package vfiogroup

// Attribute encoding, for requests (and for the tests' fake kernel).

func appendAttr(b []byte, typ uint16, data []byte) []byte {
	l := nlaHdrLen + len(data)
	var h [nlaHdrLen]byte
	hostOrder().PutUint16(h[0:2], uint16(l))
	hostOrder().PutUint16(h[2:4], typ)
	b = append(b, h[:]...)
	b = append(b, data...)
	for l%4 != 0 {
		b = append(b, 0)
		l++
	}
	return b
}

func appendU8(b []byte, typ uint16, v uint8) []byte {
	return appendAttr(b, typ, []byte{v})
}

func appendU16(b []byte, typ uint16, v uint16) []byte {
	var d [2]byte
	hostOrder().PutUint16(d[:], v)
	return appendAttr(b, typ, d[:])
}

func appendU32(b []byte, typ uint16, v uint32) []byte {
	var d [4]byte
	hostOrder().PutUint32(d[:], v)
	return appendAttr(b, typ, d[:])
}

func appendU64(b []byte, typ uint16, v uint64) []byte {
	var d [8]byte
	hostOrder().PutUint64(d[:], v)
	return appendAttr(b, typ, d[:])
}

func appendString(b []byte, typ uint16, s string) []byte {
	return appendAttr(b, typ, append([]byte(s), 0))
}
