"""The demo storefront's SQLite database: schema and a seeded home-decor catalog.

Real SQLite in WAL mode, one connection per server thread, so that the demo
shop's latency under load is its real work (queries, locks, commits) and
never a sleep.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS collections (slug TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS products (
    id INTEGER PRIMARY KEY, slug TEXT UNIQUE NOT NULL, name TEXT NOT NULL,
    collection TEXT NOT NULL REFERENCES collections(slug), price_cents INTEGER NOT NULL,
    stock INTEGER NOT NULL, description TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY, created_at TEXT NOT NULL, landing_path TEXT NOT NULL,
    utm_source TEXT, utm_medium TEXT, utm_campaign TEXT, utm_content TEXT, utm_term TEXT);
CREATE TABLE IF NOT EXISTS cart_items (
    session_id TEXT NOT NULL, product_id INTEGER NOT NULL, quantity INTEGER NOT NULL,
    PRIMARY KEY (session_id, product_id));
CREATE TABLE IF NOT EXISTS cart_promos (
    session_id TEXT NOT NULL, code TEXT NOT NULL, PRIMARY KEY (session_id, code));
CREATE TABLE IF NOT EXISTS promos (
    code TEXT PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    value INTEGER NOT NULL, starts_at TEXT NOT NULL, ends_at TEXT NOT NULL,
    min_spend_cents INTEGER NOT NULL DEFAULT 0, usage_limit INTEGER,
    used INTEGER NOT NULL DEFAULT 0,
    stackable INTEGER NOT NULL DEFAULT 0, case_sensitive INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS checkouts (
    id TEXT PRIMARY KEY, session_id TEXT NOT NULL, created_at TEXT NOT NULL,
    email TEXT, address TEXT, shipping_method TEXT);
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, created_at TEXT NOT NULL,
    payment_method TEXT NOT NULL, subtotal_cents INTEGER NOT NULL,
    discount_cents INTEGER NOT NULL, shipping_cents INTEGER NOT NULL,
    total_cents INTEGER NOT NULL, promo_codes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS order_lines (
    order_id INTEGER NOT NULL, product_id INTEGER NOT NULL, quantity INTEGER NOT NULL,
    price_cents INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS attribution (
    order_id INTEGER PRIMARY KEY, session_id TEXT NOT NULL, created_at TEXT NOT NULL,
    utm_source TEXT, utm_medium TEXT, utm_campaign TEXT, utm_content TEXT, utm_term TEXT,
    promo_codes TEXT NOT NULL, total_cents INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS short_links (
    slug TEXT PRIMARY KEY, target TEXT NOT NULL, drops_query INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS products_by_collection ON products(collection);
"""

COLLECTIONS = {
    "winter-warmth": "Winter Warmth",
    "candles": "Candles & Scents",
    "textiles": "Throws & Cushions",
    "lighting": "Lamps & Lighting",
    "tableware": "Tableware",
}

_PRODUCTS = {
    "winter-warmth": ["Chunky Knit Throw", "Sheepskin Rug", "Wool Hot-Water Bottle",
                      "Cashmere Blend Blanket", "Fleece Slippers", "Quilted Bed Runner",
                      "Felt Log Basket", "Knitted Tea Cosy"],
    "candles": ["Cedar & Smoke Candle", "Fig Leaf Candle", "Amber Pillar Set",
                "Beeswax Taper Pair", "Pine Forest Diffuser", "Travel Tin Trio",
                "Vanilla Bean Candle", "Advent Candle"],
    "textiles": ["Linen Cushion Cover", "Velvet Bolster", "Boucle Cushion",
                 "Waffle Throw", "Jacquard Table Runner", "Stonewashed Napkins (4)",
                 "Herringbone Blanket", "Tufted Bath Mat"],
    "lighting": ["Rattan Pendant", "Brass Table Lamp", "Paper Lantern", "Fairy Light Garland",
                 "Ceramic Bedside Lamp", "Opal Glass Wall Light", "Mushroom Lamp",
                 "Smart Bulb Pack"],
    "tableware": ["Stoneware Dinner Set", "Speckled Mug Pair", "Oak Serving Board",
                  "Glass Carafe", "Linen Placemats (4)", "Enamel Baking Dish",
                  "Gold Cutlery Set", "Hand-Thrown Bowl"],
}

# Short links of the influencer program. `lena-bf` is deliberately broken:
# its redirect drops the query string, so the UTMs never reach the landing page.
SHORT_LINKS = [
    ("mia-bf", "/collections/winter-warmth?utm_source=instagram&utm_medium=social"
               "&utm_campaign=bf-mia&utm_content=reel", 0),
    ("noah-bf", "/collections/candles?utm_source=tiktok&utm_medium=social"
                "&utm_campaign=bf-noah", 0),
    ("lena-bf", "/collections/textiles?utm_source=youtube&utm_medium=video"
                "&utm_campaign=bf-lena", 1),
]


def iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="seconds")


def seed_promos(now: dt.datetime) -> list[tuple]:
    """Promo codes relative to ``now``, so the demo behaves the same any day.

    (code, kind, value, starts, ends, min_spend_cents, limit, stackable, case_sensitive)
    """
    d = dt.timedelta(days=1)
    live = (iso(now - 7 * d), iso(now + 30 * d))
    return [
        ("MIA20", "percent", 20, *live, 0, None, 0, 0),
        ("NOAH15", "percent", 15, *live, 0, None, 0, 0),
        ("LENA10", "fixed", 1000, *live, 6000, None, 0, 0),  # €10 off from €60
        ("WELCOME10", "percent", 10, *live, 0, None, 0, 0),
        ("SUMMER15", "percent", 15, iso(now - 120 * d), iso(now - 10 * d), 0, None, 0, 0),
        ("CozyHome", "percent", 25, *live, 0, None, 0, 1),  # bug: only exact case works
        ("STACK5", "fixed", 500, *live, 0, None, 1, 0),  # these two stack, though the
        ("STACK10", "percent", 10, *live, 0, None, 1, 0),  # program says they must not
        ("DOORBUSTER", "percent", 40, *live, 0, 5, 0, 0),  # limited: 5 redemptions
    ]


def connect(path: str | Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=10.0, isolation_level=None,
                           check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def create(path: str | Path, now: dt.datetime | None = None) -> None:
    """Create the schema and seed the catalog if the database is empty."""
    now = now or dt.datetime.now(dt.UTC)
    conn = connect(path)
    try:
        conn.executescript(SCHEMA)
        if conn.execute("SELECT COUNT(*) FROM products").fetchone()[0]:
            return
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO collections VALUES (?, ?)", COLLECTIONS.items())
        pid = 0
        for coll, names in _PRODUCTS.items():
            for i, name in enumerate(names):
                pid += 1
                slug = name.lower().replace("&", "and").replace("(", "").replace(")", "")
                slug = "-".join(slug.split())
                price = 1200 + (pid * 1370) % 11000  # €12.00 – €121.99, deterministic
                conn.execute(
                    "INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (pid, slug, name, coll, price - price % 100 + 99, 1_000_000,
                     f"{name} from our {COLLECTIONS[coll]} collection. Item {i + 1}."))
        conn.executemany(
            "INSERT INTO promos (code, kind, value, starts_at, ends_at, min_spend_cents,"
            " usage_limit, stackable, case_sensitive) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            seed_promos(now))
        conn.executemany("INSERT INTO short_links VALUES (?, ?, ?)", SHORT_LINKS)
        conn.execute("COMMIT")
    finally:
        conn.close()


class ThreadConnections:
    """One SQLite connection per server thread (sqlite3 objects are not shared)."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._local = threading.local()

    def get(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
        return conn
