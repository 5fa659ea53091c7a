// Command sdk-generator writes the plugin's SDKs from its package schema with Pulumi's own code generators, as
// `pulumi package gen-sdk` does through each language's host. gen-sdk hands every language, Node.js included, to
// that language's host (pulumi-language-<language>), and the modules of the hosts (pulumi/pulumi's
// sdk/go/pulumi-language-go/v3, sdk/python/cmd/pulumi-language-python/v3, sdk/nodejs/cmd/pulumi-language-nodejs/v3,
// pulumi-dotnet's pulumi-language-dotnet) are refused by the Go module proxy reachable here, so toolchain/sdk.ts
// builds this instead, calling the generators those hosts call: generators.go (Node.js, Python, Go) on the pkg/v3
// module of the CLI's release; generators_dotnet.go (built with -tags dotnet) on pkg/v3 v3.206.0, a release that
// still holds .NET's generator (by 3.248.0 it had moved to pulumi-dotnet).
//
//	sdk-generator <schema.json> <out dir> <language>...
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/blang/semver"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// The tool name the generators write into each file's "do not edit" header.
const tool = "pulumi-azure-imagebuilder sdk-generator"

// selfContained loads no other package: the schema references none (pulumi.json types are built in).
type selfContained struct{}

func (selfContained) refuse(name string) error {
	return fmt.Errorf("the schema references package %q; it must be self-contained", name)
}

func (l selfContained) LoadPackage(name string, _ *semver.Version) (*schema.Package, error) {
	return nil, l.refuse(name)
}

func (l selfContained) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	return nil, l.refuse(d.Name)
}

func (l selfContained) LoadPackageReference(name string, _ *semver.Version) (schema.PackageReference, error) {
	return nil, l.refuse(name)
}

func (l selfContained) LoadPackageReferenceV2(
	_ context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	return nil, l.refuse(d.Name)
}

var loader schema.ReferenceLoader = selfContained{}

func run(schemaPath, out string, languages []string) error {
	text, err := os.ReadFile(schemaPath)
	if err != nil {
		return err
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(text, &spec); err != nil {
		return fmt.Errorf("%s: %w", schemaPath, err)
	}
	// BindSpec validates the schema against Pulumi's metaschema, as gen-sdk does.
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{})
	if err != nil {
		return err
	}
	if diags.HasErrors() {
		return diags
	}
	for _, language := range languages {
		generate, ok := generators[language]
		if !ok {
			return fmt.Errorf("this build generates no %q SDK", language)
		}
		files, err := generate(pkg)
		if err != nil {
			return fmt.Errorf("%s: %w", language, err)
		}
		dir := filepath.Join(out, language)
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
		for name, content := range files {
			file := filepath.Join(dir, name)
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(file, content, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: sdk-generator <schema.json> <out dir> <language>...")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3:]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
