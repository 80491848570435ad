"""The demo storefront peakready loads and checks by default."""
