package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/logging"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// packageJSON holds the package.json fields the host reads.
type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Pulumi          struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackageJSON(path string) (packageJSON, error) {
	var pkg packageJSON
	b, err := os.ReadFile(path)
	if err != nil {
		return pkg, err
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return pkg, fmt.Errorf("parsing %s: %w", path, err)
	}
	return pkg, nil
}

// ancestors lists dir and every parent directory up to the filesystem root, nearest first.
func ancestors(dir string) []string {
	var dirs []string
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		dirs = append(dirs, d)
		if filepath.Dir(d) == d {
			return dirs
		}
	}
}

// packageRoot is the nearest directory at or above dir that holds a package.json.
func packageRoot(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for _, d := range ancestors(abs) {
		if _, err := os.Stat(filepath.Join(d, "package.json")); err == nil {
			return d, nil
		}
	}
	return "", fmt.Errorf("no package.json at or above %s", abs)
}

// pluginPackages finds the resource plugins that installed npm packages declare (`"pulumi": {"resource": true}`).
// It looks at the packages Node.js can resolve from the program directory, i.e. the top level of every
// node_modules folder at or above it, nearest first, so that a program kept inside a larger package (as this
// repository's examples are) sees the same packages its `require` calls do.
func pluginPackages(programDir string) ([]*pulumirpc.PackageDependency, error) {
	abs, err := filepath.Abs(programDir)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var deps []*pulumirpc.PackageDependency
	for _, d := range ancestors(abs) {
		for _, manifest := range installedManifests(filepath.Join(d, "node_modules")) {
			pkg, err := readPackageJSON(manifest)
			if err != nil || !pkg.Pulumi.Resource || seen[pkg.Name] {
				if err != nil {
					logging.V(3).Infof("skipping %s: %v", manifest, err)
				}
				continue
			}
			seen[pkg.Name] = true
			dep, err := pluginDependency(pkg)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", manifest, err)
			}
			deps = append(deps, dep)
		}
	}
	return deps, nil
}

// installedManifests lists node_modules/<name>/package.json and node_modules/@scope/<name>/package.json.
func installedManifests(nodeModules string) []string {
	var manifests []string
	for _, pattern := range []string{"*/package.json", "@*/*/package.json"} {
		matches, err := fs.Glob(os.DirFS(nodeModules), pattern)
		if err != nil {
			continue
		}
		for _, m := range matches {
			manifests = append(manifests, filepath.Join(nodeModules, m))
		}
	}
	return manifests
}

// pluginDependency names the plugin the way the engine expects: the `pulumi.name` override, or the package name
// without its `@pulumi/` scope; versions carry a leading "v".
func pluginDependency(pkg packageJSON) (*pulumirpc.PackageDependency, error) {
	name := pkg.Pulumi.Name
	if name == "" {
		if !strings.HasPrefix(pkg.Name, "@pulumi/") {
			return nil, errors.New(`third-party plugin packages must set "pulumi.name"`)
		}
		name = strings.TrimPrefix(pkg.Name, "@pulumi/")
	}
	version := pkg.Pulumi.Version
	if version == "" {
		version = pkg.Version
	}
	if version == "" {
		return nil, errors.New("missing version")
	}
	if !strings.HasPrefix(version, "v") {
		version = "v" + version
	}
	return &pulumirpc.PackageDependency{Name: name, Kind: "resource", Version: version, Server: pkg.Pulumi.Server}, nil
}

// programDependencies lists the program's direct npm dependencies with the versions Node.js would load.
func programDependencies(programDir string) ([]*pulumirpc.DependencyInfo, error) {
	root, err := packageRoot(programDir)
	if err != nil {
		return nil, err
	}
	pkg, err := readPackageJSON(filepath.Join(root, "package.json"))
	if err != nil {
		return nil, err
	}
	ranges := map[string]string{}
	for name, r := range pkg.DevDependencies {
		ranges[name] = r
	}
	for name, r := range pkg.Dependencies {
		ranges[name] = r
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(ranges))
	for name, r := range ranges {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: name, Version: installedVersion(root, name, r)})
	}
	sort.Slice(deps, func(i, j int) bool { return deps[i].Name < deps[j].Name })
	return deps, nil
}

// installedVersion resolves name like Node.js does from dir, falling back to the declared range when absent.
func installedVersion(dir, name, declared string) string {
	for _, d := range ancestors(dir) {
		if pkg, err := readPackageJSON(filepath.Join(d, "node_modules", name, "package.json")); err == nil {
			return pkg.Version
		}
	}
	return declared
}
