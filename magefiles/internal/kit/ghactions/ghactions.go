// Package ghactions writes what a Mage target hands to GitHub Actions: step
// outputs (GITHUB_OUTPUT) and the job summary (GITHUB_STEP_SUMMARY). The
// release workflows read the environment's URL from the output `url` of the
// step that ran the target (`environment: url: ${{ steps.release.outputs.url }}`),
// so the deployment in GitHub links to what the target printed.
//
// Only targets read the environment: they pass os.Getenv("GITHUB_OUTPUT") or
// os.Getenv("GITHUB_STEP_SUMMARY") as path. An empty path (a laptop) writes
// nothing and is not an error.
package ghactions

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
)

// URLOutput is the step output the release workflows read as the
// environment's URL.
const URLOutput = "url"

var outputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// SetOutput appends the step output name=value to the GITHUB_OUTPUT file at
// path. A value spanning lines is written in the file's delimiter form with a
// random delimiter, so no value can end it early or inject another output.
func SetOutput(path, name, value string) error {
	if path == "" {
		return nil
	}
	if !outputName.MatchString(name) {
		return fmt.Errorf("github output: name %q: want letters, digits, _ or -, not starting with a digit or -", name)
	}
	var entry string
	if !strings.ContainsAny(value, "\r\n") {
		entry = name + "=" + value + "\n"
	} else {
		delim, err := delimiter(value)
		if err != nil {
			return fmt.Errorf("github output %s: %w", name, err)
		}
		entry = name + "<<" + delim + "\n" + value + "\n" + delim + "\n"
	}
	return appendFile(path, entry, "github output "+name)
}

// SetURL checks that raw is an absolute http(s) URL — what GitHub accepts as
// an environment URL — and sets it as the step output URLOutput.
func SetURL(path, raw string) error {
	if path == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(raw, " \t\r\n") {
		return fmt.Errorf("github output %s: %q is not an absolute http(s) URL", URLOutput, raw)
	}
	return SetOutput(path, URLOutput, raw)
}

// AppendSummary appends Markdown to the job summary file at path, ending it
// with a newline so the next writer starts on a line of its own.
func AppendSummary(path, markdown string) error {
	if path == "" {
		return nil
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	return appendFile(path, markdown, "job summary")
}

func appendFile(path, s, what string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	_, werr := f.WriteString(s)
	return errors.Join(wrap(what, werr), wrap(what, f.Close()))
}

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

func delimiter(value string) (string, error) {
	for range 8 {
		b := make([]byte, 16)
		if _, err := rand.Read(b); err != nil {
			return "", err
		}
		d := "ghadelimiter_" + hex.EncodeToString(b)
		if !strings.Contains(value, d) {
			return d, nil
		}
	}
	return "", errors.New("no delimiter absent from the value")
}
