//go:build dotnet

package main

import (
	"bytes"
	_ "embed"
	"io"
	"net/http"

	"github.com/pulumi/pulumi/pkg/v3/codegen/dotnet"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// The NuGet package's icon. The generator fetches the schema's logoUrl, or Pulumi's logo from GitHub when it has
// none, over HTTP: offline here, so every fetch it makes answers with this file instead.
//
//go:embed logo.png
var logo []byte

type iconOnly struct{}

func (iconOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{
		StatusCode: http.StatusOK,
		Body:       io.NopCloser(bytes.NewReader(logo)),
		Request:    r,
		Header:     http.Header{"Content-Type": {"image/png"}},
	}, nil
}

// .NET's generator as pkg/v3 v3.206.0 holds it (later releases moved it to pulumi-dotnet).
var generators = map[string]func(*schema.Package) (map[string][]byte, error){
	"dotnet": func(pkg *schema.Package) (map[string][]byte, error) {
		http.DefaultTransport = iconOnly{}
		return dotnet.GeneratePackage(tool, pkg, nil, nil)
	},
}
