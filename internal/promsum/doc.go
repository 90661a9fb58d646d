// Package promsum reads back what a Prometheus counter or counter vector has counted, summed
// over its label values, for status pages and tests that report totals without scraping.
package promsum
