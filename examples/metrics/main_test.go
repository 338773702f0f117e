package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestScrape: the program's scrape holds the calls by procedure and code,
// the duration histograms and the open wires.
func TestScrape(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, false); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`ipfi_server_calls_total{code="ok",otel_scope_name="github.com/ipfi-go/ipfi",otel_scope_version="",procedure="1"} 3`,
		`ipfi_server_calls_total{code="not_found",otel_scope_name="github.com/ipfi-go/ipfi",otel_scope_version="",procedure="2"} 1`,
		`ipfi_client_calls_total{code="ok",otel_scope_name="github.com/ipfi-go/ipfi",otel_scope_version="",procedure="1"} 3`,
		`ipfi_server_duration_seconds_count{`,
		`ipfi_client_duration_seconds_sum{`,
		`ipfi_wires_open{otel_scope_name="github.com/ipfi-go/ipfi",otel_scope_version=""} 2`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the scrape lacks %s:\n%s", want, out.String())
		}
	}
}
