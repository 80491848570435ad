"""The sending domains: their section of the scenario (config), the DNS the
email checks ask (dns: zone files first, then a nameserver or the system
resolver), zone-file parsing, and the bulk-sender requirements table."""
