"""GA4's source categories: which ``utm_source`` values Google Analytics 4
counts as a search engine, a social network, a video site or a shopping site.

Source: Google Analytics Help, "[GA4] Default channel group"
(https://support.google.com/analytics/answer/9756891), whose rules say
"Source matches a list of social sites" etc. and link Google's downloadable
list of sources and their categories. The sets below are written from that
published list, restricted to the sources a shop's campaigns realistically
use (the full list has ~800 entries, mostly regional sites and subdomains);
matching is exact on the lower-cased value, as in GA4's list. Add your own
with the scenario's ``links.extra_sources``.
"""

from __future__ import annotations


def _names(text: str) -> frozenset[str]:
    """One source per whitespace-separated word (the list reads like Google's)."""
    return frozenset(text.split())


SEARCH = _names("""
360.cn alice aol ar.search.yahoo.com ask au.search.yahoo.com auone baidu bing
br.search.yahoo.com ca.search.yahoo.com cn.bing.com daum de.search.yahoo.com
duckduckgo ecosia.org es.search.yahoo.com fr.search.yahoo.com google google-play
hk.search.yahoo.com in.search.yahoo.com it.search.yahoo.com kvasir lens.google.com
m.baidu.com m.naver.com m.search.naver.com msn najdi naver onet qwant qwant.com
rakuten search-results search.aol.co.uk search.smt.docomo seznam so.com sogou
startpage.com tut.by uk.search.yahoo.com yahoo yandex yandex.ru
""")

SOCIAL = _names("""
badoo blogger blogger.com discord discord.com disqus douban
facebook facebook.com fb flickr flickr.com habbo hootsuite instagram instagram.com
l.facebook.com l.instagram.com lm.facebook.com line line.me linkedin linkedin.com
lnkd.in m.facebook.com mastodon medium.com meetup messenger.com nextdoor
nextdoor.com ok.ru pinterest pinterest.com plus.google.com quora quora.com reddit
reddit.com snapchat snapchat.com substack.com t.co telegram.org threads threads.net
tiktok tiktok.com tumblr tumblr.com twitter twitter.com vk.com wechat weibo
weibo.com whatsapp whatsapp.com x.com xing xing.com yelp yelp.com
""")

VIDEO = _names("""
blog.twitch.tv crackle curiositystream d.tube dailymotion disneyplus
fast.wistia.net hulu iqiyi m.twitch.tv m.youtube.com music.youtube.com netflix
player.twitch.tv player.vimeo.com ted twitch twitch.tv veoh vimeo vimeo.com
wistia youku youtube youtube.com
""")

SHOPPING = _names("""
alibaba alibaba.com amazon amazon.co.uk amazon.com amazon.de amazon.fr ebay
ebay.co.uk ebay.com ebay.de etsy etsy.com igshopping mercadolibre
shop.app shopify shopify.com shopping.naver.com shopzilla stripe stripe.com walmart
walmart.com
""") | {"google shopping"}

# Sources GA4's rules name outright (Direct, Email, SMS, Mobile Push).
NAMED = frozenset({"(direct)", "email", "e-mail", "e_mail", "e mail", "sms", "firebase"})

KNOWN = SEARCH | SOCIAL | VIDEO | SHOPPING | NAMED
