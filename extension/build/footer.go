package main

import (
	"bytes"
	"errors"
	"fmt"
)

// DuckDB's extension footer.
//
// DuckDB reads the last 512 bytes of a .duckdb_extension file before it
// dlopens it (ExtensionHelper::TryInitialLoad in
// src/main/extension/extension_load.cpp). The bytes come from DuckDB's
// scripts/append_metadata.cmake and are, in file order:
//
//	WebAssembly custom-section header, 22 bytes (not read by the loader):
//	  0x00                 custom section id
//	  0x93 0x04            LEB128 531: the length of what follows (1 + 16 + 2 + 512)
//	  0x10                 16, the length of the section name
//	  "duckdb_signature"   the section name
//	  0x80 0x04            LEB128 512: the length of the payload
//	the 512-byte footer:
//	  8 fields of 32 bytes, NUL-padded, written last field first:
//	    field 8, 7, 6      reserved, empty
//	    field 5            ABI type: "C_STRUCT" for the C extension API
//	    field 4            the extension's version
//	    field 3            for C_STRUCT, the oldest C API version the extension needs ("v1.5.6")
//	    field 2            the platform, e.g. "linux_amd64"
//	    field 1            the magic value "4" (the number of fields + 1 the loader uses)
//	  256 bytes            the signature: zeros for an unsigned extension
//
// The loader splits the first 256 bytes of the footer into eight 32-byte
// strings, reverses their order and cuts each at its first NUL.
const (
	footerSize    = 512 // what the loader reads
	fieldSize     = 32
	fieldCount    = 8
	signatureSize = 256

	magicValue = "4"
	abiCStruct = "C_STRUCT"
)

// sectionHeader is the WebAssembly custom-section header that precedes the
// footer, as DuckDB's own build writes it.
var sectionHeader = append(append([]byte{0x00, 0x93, 0x04, 0x10}, "duckdb_signature"...), 0x80, 0x04)

// Metadata is what the footer says about the extension.
type Metadata struct {
	Platform         string // DuckDB platform name: linux_amd64, osx_arm64, …
	CAPIVersion      string // the C API version the extension was built for: v1.5.6
	ExtensionVersion string // the extension's own version
	ABIType          string // C_STRUCT
}

// Footer returns the bytes to append to the shared library: the section
// header followed by the 512-byte footer with an empty signature.
func Footer(m Metadata) ([]byte, error) {
	fields := []struct{ name, value string }{
		{"magic", magicValue},
		{"platform", m.Platform},
		{"C API version", m.CAPIVersion},
		{"extension version", m.ExtensionVersion},
		{"ABI type", m.ABIType},
	}
	for _, f := range fields {
		switch {
		case f.value == "":
			return nil, fmt.Errorf("footer: the %s is empty", f.name)
		case len(f.value) > fieldSize-1:
			// DuckDB cuts a field at its first NUL; a field of exactly 32
			// bytes would have none, so keep one.
			return nil, fmt.Errorf("footer: the %s %q is longer than %d bytes", f.name, f.value, fieldSize-1)
		case bytes.IndexByte([]byte(f.value), 0) >= 0:
			return nil, fmt.Errorf("footer: the %s %q contains a NUL byte", f.name, f.value)
		}
	}
	var b bytes.Buffer
	b.Write(sectionHeader)
	// Fields 8 down to 1: the three reserved ones are empty.
	values := make([]string, fieldCount)
	for i, f := range fields {
		values[i] = f.value
	}
	for i := fieldCount - 1; i >= 0; i-- {
		field := make([]byte, fieldSize)
		copy(field, values[i])
		b.Write(field)
	}
	b.Write(make([]byte, signatureSize))
	return b.Bytes(), nil
}

// errNoFooter is returned by readFooter for a file without DuckDB's footer.
var errNoFooter = errors.New("footer: no DuckDB extension footer")

// readFooter parses the footer at the end of an extension file the way
// DuckDB's loader does; build uses it to check what it wrote.
func readFooter(file []byte) (Metadata, error) {
	if len(file) < len(sectionHeader)+footerSize ||
		!bytes.Equal(file[len(file)-footerSize-len(sectionHeader):len(file)-footerSize], sectionHeader) {
		return Metadata{}, errNoFooter
	}
	footer := file[len(file)-footerSize:]
	fields := make([]string, fieldCount)
	for i := range fieldCount {
		f := footer[i*fieldSize : (i+1)*fieldSize]
		if n := bytes.IndexByte(f, 0); n >= 0 {
			f = f[:n]
		}
		fields[fieldCount-1-i] = string(f)
	}
	if fields[0] != magicValue {
		return Metadata{}, fmt.Errorf("footer: magic value %q, want %q", fields[0], magicValue)
	}
	return Metadata{Platform: fields[1], CAPIVersion: fields[2], ExtensionVersion: fields[3], ABIType: fields[4]}, nil
}
