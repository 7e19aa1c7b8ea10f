package npz

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/untied-ml/untied/core/atomicfile"
)

// modTime is every entry's modification time, fixed so that equal arrays
// give byte-identical files: the zip (MS-DOS) epoch.
var modTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// Write writes arrays to path as an .npz archive, entry "name.npy" per
// array, sorted by name, uncompressed (as np.savez), through
// core/atomicfile: path holds either its old contents or the whole new
// archive, mode 0644.
func Write(path string, arrays map[string]Array) error {
	names := slices.Sorted(maps.Keys(arrays))
	for _, name := range names {
		if name == "" || strings.HasSuffix(name, "/") {
			return fmt.Errorf("npz: %s: array name %q, want a non-empty file name", path, name)
		}
		if err := arrays[name].check(); err != nil {
			return fmt.Errorf("npz: %s: array %q: %v", path, name, err)
		}
	}
	err := atomicfile.Write(path, func(w io.Writer) error {
		zw := zip.NewWriter(w)
		for _, name := range names {
			e, err := zw.CreateHeader(&zip.FileHeader{Name: name + ".npy", Method: zip.Store, Modified: modTime})
			if err != nil {
				return err
			}
			if err := writeNPY(e, arrays[name]); err != nil {
				return fmt.Errorf("array %q: %w", name, err)
			}
		}
		return zw.Close()
	})
	if err != nil {
		return fmt.Errorf("npz: %s: %w", path, err)
	}
	return nil
}

// Read returns every array of the .npz archive at path, keyed by its
// entry's name without ".npy". Every entry must be a .npy array of a dtype
// Read knows (see the package doc), stored or deflated.
func Read(path string) (map[string]Array, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		if errors.Is(err, zip.ErrFormat) {
			return nil, fmt.Errorf("npz: %s: not a zip archive (an .npz file is a zip of .npy arrays): %w", path, err)
		}
		return nil, fmt.Errorf("npz: %w", err)
	}
	defer zr.Close()
	out := make(map[string]Array, len(zr.File))
	for _, f := range zr.File {
		name, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok || name == "" {
			return nil, fmt.Errorf("npz: %s: entry %q is not a .npy array (want name.npy)", path, f.Name)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("npz: %s: entry %q appears twice", path, f.Name)
		}
		a, err := readEntry(f)
		if err != nil {
			return nil, fmt.Errorf("npz: %s: entry %q: %w", path, f.Name, err)
		}
		out[name] = a
	}
	return out, nil
}

func readEntry(f *zip.File) (Array, error) {
	if f.Method != zip.Store && f.Method != zip.Deflate {
		return Array{}, fmt.Errorf("compression method %d, want stored (0) or deflated (8)", f.Method)
	}
	if f.UncompressedSize64 > math.MaxInt64 {
		return Array{}, fmt.Errorf("claimed size %d is too large", f.UncompressedSize64)
	}
	rc, err := f.Open()
	if err != nil {
		return Array{}, err
	}
	defer rc.Close()
	return readNPY(rc, int64(f.UncompressedSize64))
}
