"""HTML of the demo storefront. Every page carries the analytics snippet
(a GA4-style gtag config with the demo measurement id) that the link checks
look for; nothing is loaded from the network."""

from __future__ import annotations

MEASUREMENT_ID = "G-PEAKDEMO01"

LAYOUT = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }} · Hearth & Home</title>
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}
gtag('js',new Date());gtag('config','""" + MEASUREMENT_ID + """');</script>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:auto;padding:1rem}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(12rem,1fr));gap:1rem}
.card{border:1px solid #ddd;border-radius:6px;padding:.75rem}</style></head>
<body><header><a href="/">Hearth &amp; Home</a> ·
{% for slug, name in collections %}<a href="/collections/{{ slug }}">{{ name }}</a> · {% endfor %}
<a href="/checkout">Cart</a></header><main>{{ body|safe }}</main>
<footer><small>peakready demo storefront</small></footer></body></html>"""

HOME = """<h1>Cosy season is here</h1>
<p>Everything for a warm home this winter.</p>
<div class="grid">{% for p in featured %}<div class="card">
<a href="/products/{{ p.slug }}">{{ p.name }}</a><br>{{ p.price }}</div>{% endfor %}</div>"""

COLLECTION = """<h1>{{ name }}</h1><div class="grid">{% for p in products %}
<div class="card" data-product="{{ p.slug }}"><a href="/products/{{ p.slug }}">{{ p.name }}</a>
<br>{{ p.price }}</div>{% endfor %}</div>"""

PRODUCT = """<h1>{{ p.name }}</h1><p>{{ p.description }}</p><p><strong>{{ price }}</strong></p>
<form method="post" action="/api/cart/items" data-product="{{ p.slug }}">
<input type="hidden" name="product" value="{{ p.slug }}">
<button>Add to cart</button></form>
<h2>You may also like</h2><ul>{% for r in related %}
<li><a href="/products/{{ r.slug }}">{{ r.name }}</a></li>{% endfor %}</ul>"""

CHECKOUT = """<h1>Your cart</h1>{% if lines %}<table>
{% for l in lines %}<tr><td>{{ l.name }}</td><td>× {{ l.quantity }}</td>
<td>{{ l.price }}</td></tr>{% endfor %}</table>
<p>Subtotal {{ subtotal }} · Total {{ total }}</p>
<form method="post" action="/api/cart/promo"><input name="code" placeholder="Promo code">
<button>Apply</button></form>{% else %}<p>Your cart is empty.</p>{% endif %}"""

NOT_FOUND = """<h1>Not found</h1><p>We could not find that page.</p>"""
