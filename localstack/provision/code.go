package provision

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// pkg is the deployment package as Lambda will see it.
type pkg struct {
	path string
	size int64
	// sha256 is base64 of the SHA-256 of the zip, the form Lambda reports
	// as CodeSha256.
	sha256 string
	hexSum string
}

// readPackage checks that path is a zip with an executable bootstrap at its
// root (the provided.al2023 handler) and hashes it.
func readPackage(path string) (*pkg, error) {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return nil, fmt.Errorf("deployment package %s: %w", path, err)
	}
	var boot *zip.File
	for _, f := range zr.File {
		if f.Name == Handler {
			boot = f
		}
	}
	zr.Close()
	switch {
	case boot == nil:
		return nil, fmt.Errorf("deployment package %s has no %q at its root", path, Handler)
	case boot.Mode()&0o111 == 0 && boot.CreatorVersion>>8 == 3: // 3 = Unix; other creators carry no mode
		return nil, fmt.Errorf("deployment package %s: %q is not executable (mode %v)", path, Handler, boot.Mode())
	}

	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("deployment package %s: %w", path, err)
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return nil, fmt.Errorf("hash %s: %w", path, err)
	}
	sum := h.Sum(nil)
	return &pkg{path: path, size: n, sha256: base64.StdEncoding.EncodeToString(sum), hexSum: hex.EncodeToString(sum)}, nil
}

// stagingKey is where the zip is uploaded for Lambda to fetch. The hash in
// the name keeps concurrent deploys of different builds apart.
func stagingKey(function, hexSum string) string {
	return ".deploy/" + function + "/" + hexSum + ".zip"
}

// stage uploads the package and returns its key.
func stage(ctx context.Context, s3c *s3.Client, bucket, function string, p *pkg) (string, error) {
	key := stagingKey(function, p.hexSum)
	f, err := os.Open(p.path)
	if err != nil {
		return "", fmt.Errorf("deployment package %s: %w", p.path, err)
	}
	defer f.Close()
	// A seekable body with a known length lets the SDK sign the payload
	// and retry without buffering 50+ MB.
	if _, err := s3c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          f,
		ContentLength: aws.Int64(p.size),
		ContentType:   aws.String("application/zip"),
	}); err != nil {
		return "", fmt.Errorf("upload %s to s3://%s/%s: %w", p.path, bucket, key, err)
	}
	return key, nil
}
