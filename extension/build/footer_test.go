package main

import (
	"bytes"
	"encoding/binary"
	"strings"
	"testing"
)

// parseDuckDBFooter reads an extension file's metadata the way DuckDB's
// loader documents it, independently of footer.go: the last 512 bytes are
// eight 32-byte fields followed by a 256-byte signature; the fields,
// reversed, are magic, platform, version, extension version, ABI type and
// three reserved ones, each cut at its first NUL.
func parseDuckDBFooter(t *testing.T, file []byte) (fields [8]string, signature []byte) {
	t.Helper()
	if len(file) < 512 {
		t.Fatalf("file of %d bytes has no 512-byte footer", len(file))
	}
	seg := file[len(file)-512:]
	for i := 0; i < 8; i++ {
		raw := string(seg[i*32 : i*32+32])
		if k := strings.IndexByte(raw, 0); k >= 0 {
			raw = raw[:k]
		}
		fields[7-i] = raw
	}
	return fields, seg[256:]
}

func testMeta() Metadata {
	return Metadata{Platform: "linux_amd64", CAPIVersion: "v1.5.6", ExtensionVersion: "v0.3.0-12-gabcdef0", ABIType: "C_STRUCT"}
}

func TestFooterLayout(t *testing.T) {
	f, err := Footer(testMeta())
	if err != nil {
		t.Fatal(err)
	}
	// 22 bytes of WebAssembly custom-section header, then 8×32 + 256.
	if len(f) != 22+512 {
		t.Fatalf("footer is %d bytes, want 534", len(f))
	}
	if f[0] != 0 {
		t.Errorf("section id %#x, want 0 (custom section)", f[0])
	}
	size, n := binary.Uvarint(f[1:])
	if size != 531 || n != 2 || int(size) != len(f)-3 {
		t.Errorf("section size %d (%d bytes of LEB128), want 531 in 2 bytes = the bytes that follow", size, n)
	}
	if f[3] != 16 || string(f[4:20]) != "duckdb_signature" {
		t.Errorf("section name %q (length byte %d), want duckdb_signature", f[4:20], f[3])
	}
	if payload, n := binary.Uvarint(f[20:]); payload != 512 || n != 2 {
		t.Errorf("payload length %d in %d bytes, want 512 in 2", payload, n)
	}
	fields, sig := parseDuckDBFooter(t, f)
	want := [8]string{"4", "linux_amd64", "v1.5.6", "v0.3.0-12-gabcdef0", "C_STRUCT", "", "", ""}
	if fields != want {
		t.Errorf("fields (magic first) %q, want %q", fields, want)
	}
	if !bytes.Equal(sig, make([]byte, 256)) {
		t.Error("the signature of an unsigned extension must be 256 zero bytes")
	}
	// The magic value is the last field in file order, right before the signature.
	if got := string(bytes.TrimRight(f[22+7*32:22+8*32], "\x00")); got != "4" {
		t.Errorf("last field before the signature is %q, want the magic value 4", got)
	}
	// Every field keeps at least one NUL, so the loader's cut is well defined.
	for i := 0; i < 8; i++ {
		if f[22+i*32+31] != 0 {
			t.Errorf("field %d has no terminating NUL", 8-i)
		}
	}
}

func TestFooterRoundTrip(t *testing.T) {
	so := []byte("\x7fELF pretend shared library")
	for _, m := range []Metadata{
		testMeta(),
		{Platform: "osx_arm64", CAPIVersion: "v1.6.0", ExtensionVersion: "dev", ABIType: "C_STRUCT"},
		{Platform: "linux_amd64", CAPIVersion: "v1.5.6", ExtensionVersion: strings.Repeat("x", 31), ABIType: "C_STRUCT_UNSTABLE"},
	} {
		f, err := Footer(m)
		if err != nil {
			t.Fatal(err)
		}
		file := append(append([]byte{}, so...), f...)
		got, err := readFooter(file)
		if err != nil || got != m {
			t.Errorf("readFooter = %+v, %v; want %+v", got, err, m)
		}
		fields, _ := parseDuckDBFooter(t, file)
		if fields[1] != m.Platform || fields[2] != m.CAPIVersion || fields[3] != m.ExtensionVersion || fields[4] != m.ABIType {
			t.Errorf("independent parser reads %q for %+v", fields, m)
		}
		if !bytes.Equal(file[:len(so)], so) {
			t.Error("the library's bytes changed")
		}
	}
	if _, err := readFooter([]byte("no footer here")); err != errNoFooter {
		t.Errorf("readFooter of a short file: %v, want errNoFooter", err)
	}
	if _, err := readFooter(make([]byte, 2000)); err != errNoFooter {
		t.Errorf("readFooter of zeros: %v, want errNoFooter", err)
	}
}

func TestFooterRejectsBadFields(t *testing.T) {
	for _, tc := range []struct {
		edit func(*Metadata)
		want string
	}{
		{func(m *Metadata) { m.Platform = "" }, "the platform is empty"},
		{func(m *Metadata) { m.ExtensionVersion = strings.Repeat("v", 32) }, "the extension version"},
		{func(m *Metadata) { m.ABIType = "C_\x00STRUCT" }, "contains a NUL byte"},
	} {
		m := testMeta()
		tc.edit(&m)
		if _, err := Footer(m); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Footer(%+v) = %v, want an error containing %q", m, err, tc.want)
		}
	}
}
