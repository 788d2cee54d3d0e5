// Checks modelgate's log against Go's reference implementation (golang.org/x/mod/sumdb/note
// and .../tlog, from Debian's golang-golang-x-mod-dev), both ways:
//
//	go run main.go verify DIR   Go verifies the checkpoints, notes and proofs the crate wrote,
//	                            recomputes every root and proof itself, and refuses tampered ones;
//	                            then signs a checkpoint and cosigns the crate's (for `check-go`).
//
// Exits 1 on the first disagreement, naming it.
package main

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type proof struct {
	Index   int64    `json:"index"`
	Size    int64    `json:"size"`
	OldSize int64    `json:"old_size"`
	NewSize int64    `json:"new_size"`
	Path    []string `json:"path"`
}

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlog interop: "+format+"\n", args...)
	os.Exit(1)
}

func read(dir, name string) []byte {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		fail("%v", err)
	}
	return b
}

func hashes(hexes []string) []tlog.Hash {
	out := make([]tlog.Hash, len(hexes))
	for i, h := range hexes {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != tlog.HashSize {
			fail("bad hash %q", h)
		}
		copy(out[i][:], b)
	}
	return out
}

// checkpoint opens a signed checkpoint with the crate's key and reads origin, size and root.
func checkpoint(msg []byte, verifiers note.Verifiers) (string, int64, tlog.Hash) {
	n, err := note.Open(msg, verifiers)
	if err != nil {
		fail("note.Open refused the crate's checkpoint: %v", err)
	}
	lines := strings.SplitN(n.Text, "\n", 4)
	if len(lines) < 4 {
		fail("checkpoint has fewer than three lines: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("bad size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		fail("bad root %q", lines[2])
	}
	return lines[0], size, root
}

func main() {
	if len(os.Args) != 3 || os.Args[1] != "verify" {
		fail("usage: main.go verify DIR")
	}
	dir := os.Args[2]
	vkey := strings.TrimSpace(string(read(dir, "vkey.txt")))
	v, err := note.NewVerifier(vkey)
	if err != nil {
		fail("note.NewVerifier refused the crate's key %q: %v", vkey, err)
	}
	verifiers := note.VerifierList(v)
	origin, size, root := checkpoint(read(dir, "checkpoint.txt"), verifiers)
	_, oldSize, oldRoot := checkpoint(read(dir, "old_checkpoint.txt"), verifiers)

	// The leaves, hashed and stored as Go's tlog does; its roots must be the crate's.
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = stored[x]
		}
		return out, nil
	})
	var leaves [][]byte
	for _, line := range strings.Fields(string(read(dir, "leaves.txt"))) {
		data, err := hex.DecodeString(line)
		if err != nil {
			fail("bad leaf %q", line)
		}
		hs, err := tlog.StoredHashes(int64(len(leaves)), data, reader)
		if err != nil {
			fail("%v", err)
		}
		stored = append(stored, hs...)
		leaves = append(leaves, data)
	}
	if int64(len(leaves)) != size {
		fail("checkpoint size %d, %d leaves", size, len(leaves))
	}
	for _, c := range []struct {
		n    int64
		root tlog.Hash
	}{{size, root}, {oldSize, oldRoot}} {
		goRoot, err := tlog.TreeHash(c.n, reader)
		if err != nil || goRoot != c.root {
			fail("root at %d: Go %v, crate %v (%v)", c.n, goRoot, c.root, err)
		}
	}

	// Every inclusion proof the crate made: Go checks it, and makes the same one.
	var inclusions []proof
	if err := json.Unmarshal(read(dir, "inclusion.json"), &inclusions); err != nil {
		fail("%v", err)
	}
	for _, p := range inclusions {
		th, _ := tlog.TreeHash(p.Size, reader)
		path := tlog.RecordProof(hashes(p.Path))
		if err := tlog.CheckRecord(path, p.Size, th, p.Index, tlog.RecordHash(leaves[p.Index])); err != nil {
			fail("CheckRecord refused the crate's proof of %d in %d: %v", p.Index, p.Size, err)
		}
		goPath, err := tlog.ProveRecord(p.Size, p.Index, reader)
		if err != nil || fmt.Sprint(goPath) != fmt.Sprint(path) {
			fail("ProveRecord(%d, %d) differs from the crate's", p.Size, p.Index)
		}
		if len(path) > 0 {
			path[0][0] ^= 1
			if tlog.CheckRecord(path, p.Size, th, p.Index, tlog.RecordHash(leaves[p.Index])) == nil {
				fail("CheckRecord accepted a tampered proof")
			}
		}
	}
	var consistencies []proof
	if err := json.Unmarshal(read(dir, "consistency.json"), &consistencies); err != nil {
		fail("%v", err)
	}
	for _, p := range consistencies {
		oh, _ := tlog.TreeHash(p.OldSize, reader)
		nh, _ := tlog.TreeHash(p.NewSize, reader)
		path := tlog.TreeProof(hashes(p.Path))
		if err := tlog.CheckTree(path, p.NewSize, nh, p.OldSize, oh); err != nil {
			fail("CheckTree refused the crate's proof %d → %d: %v", p.OldSize, p.NewSize, err)
		}
		goPath, err := tlog.ProveTree(p.NewSize, p.OldSize, reader)
		if err != nil || fmt.Sprint(goPath) != fmt.Sprint(path) {
			fail("ProveTree(%d, %d) differs from the crate's", p.NewSize, p.OldSize)
		}
	}

	// A checkpoint edited after signing is refused.
	forged := strings.Replace(string(read(dir, "checkpoint.txt")), "\n"+strconv.FormatInt(size, 10)+"\n", "\n"+strconv.FormatInt(size+1, 10)+"\n", 1)
	if _, err := note.Open([]byte(forged), verifiers); err == nil {
		fail("note.Open accepted an edited checkpoint")
	}

	// Go signs a checkpoint of its own, and cosigns the crate's as a witness would.
	skey, goVkey, err := note.GenerateKey(rand.Reader, "go.witness.example")
	if err != nil {
		fail("%v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail("%v", err)
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", origin, size, base64.StdEncoding.EncodeToString(root[:]))
	own, err := note.Sign(&note.Note{Text: text}, signer)
	if err != nil {
		fail("%v", err)
	}
	n, err := note.Open(read(dir, "checkpoint.txt"), verifiers)
	if err != nil {
		fail("%v", err)
	}
	cosigned, err := note.Sign(n, signer)
	if err != nil {
		fail("%v", err)
	}
	for name, b := range map[string][]byte{"go_vkey.txt": []byte(goVkey + "\n"), "go_checkpoint.txt": own, "cosigned.txt": cosigned} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			fail("%v", err)
		}
	}
	fmt.Printf("tlog interop: Go verified %d inclusion and %d consistency proofs, 2 checkpoints; wrote a Go-signed and a cosigned checkpoint\n", len(inclusions), len(consistencies))
}
