#!/usr/bin/python3
"""bench/gen_subscribers.py N - a subscribers CSV (email,name,marketing) on stdout

Deterministic (seeded). The domain mix is shaped like a newsletter's list:
60% at the large mailbox providers, 40% spread over 20,000 other domains;
one address in eight has capitals somewhere, one in three opted in to
marketing. Every address is valid and unique (by its case-folded key).
"""
import random
import sys

n = int(sys.argv[1])
rnd = random.Random(20261129)
providers = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com",
             "aol.com", "btinternet.com", "live.co.uk", "yahoo.co.uk", "googlemail.com"]
words = ["news", "media", "north", "river", "stone", "green", "bright", "harbour",
         "castle", "field", "market", "union", "cloud", "pixel", "studio", "works"]
tlds = ["com", "co.uk", "org", "net", "de", "fr", "io", "org.uk"]
others = ["%s%s%d.%s" % (rnd.choice(words), rnd.choice(words), i, rnd.choice(tlds))
          for i in range(20000)]
first = ["alex", "sam", "jo", "chris", "pat", "lee", "kim", "max", "ali", "robin",
         "ash", "jamie", "morgan", "casey", "drew", "nico", "remy", "sasha"]
out = sys.stdout
out.write("email,name,marketing\n")
for i in range(n):
    f = rnd.choice(first)
    local = "%s.%s%d" % (f, rnd.choice(words), i)
    dom = rnd.choice(providers) if rnd.random() < 0.6 else rnd.choice(others)
    if i % 8 == 0:
        local = local.capitalize()
    name = "%s %s" % (f.capitalize(), rnd.choice(words).capitalize())
    if i % 50 == 0:
        name = '"%s, Jr."' % name
    out.write("%s@%s,%s,%s\n" % (local, dom, name, "yes" if i % 3 == 0 else "no"))
