#!/usr/bin/env python3
"""check_layers.py [SRC]: checks src/'s includes against src/layers.txt.

Every .c and .h under SRC/LAYER/ may include, in quotes, only headers of its
own layer or of a layer listed before it, and may include a third-party
header (an `owner` line) only where that line allows, directly or through a
project header that includes it. Prints one line per violation naming the
file, line and header, and exits 1 if there is any (0 otherwise, 2 when
layers.txt is malformed). CMake runs it on every build with tests; ctest
runs it as unit.layers, and test_layers.sh breaks it once to see it fail.
"""
import fnmatch
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def read_layers(path):
    layers, owners = [], []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            words = line.split()
            if not words or words[0].startswith('#'):
                continue
            if words[0] == 'layer' and len(words) >= 2:
                layers.append(words[1])
            elif words[0] == 'owner' and len(words) == 3:
                owners.append((words[1], words[2]))
            else:
                sys.exit('check_layers: %s:%d: expected "layer NAME ..." or '
                         '"owner HEADER PLACE"' % (path, n))
    return layers, owners


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', 'src')
    layers, owners = read_layers(os.path.join(src, 'layers.txt'))
    rank = {name: i for i, name in enumerate(layers)}
    files = {}  # "layer/file" -> [(line, kind, header)]
    for layer in layers:
        d = os.path.join(src, layer)
        if not os.path.isdir(d):
            print('check_layers: %s/: a layer of layers.txt with no folder' % layer)
            return 1
        for name in sorted(os.listdir(d)):
            if not name.endswith(('.c', '.h')):
                continue
            incs = []
            with open(os.path.join(d, name), errors='replace') as f:
                for n, line in enumerate(f, 1):
                    m = INCLUDE.match(line)
                    if m:
                        incs.append((n, m.group(1), m.group(2)))
            files[layer + '/' + name] = incs
    stray = [e for e in os.listdir(src) if e.endswith(('.c', '.h'))]
    bad = ['%s: a source outside every layer (src/LAYER/ only)' % e for e in sorted(stray)]
    headers = {}  # basename -> "layer/file"
    for path in files:
        if path.endswith('.h'):
            base = path.split('/', 1)[1]
            if base in headers:
                bad.append('src/%s: the header name %s is also src/%s (one name, one header)'
                           % (path, base, headers[base]))
            headers[base] = path

    def owner_ok(header, path):
        for pattern, place in owners:
            if fnmatch.fnmatch(header, pattern):
                return path == place or path.split('/')[0] == place
        return True  # not a declared dependency (the C library, the OS)

    def third_party(path, seen):
        """The declared third-party headers path includes, directly or through project headers."""
        out = []
        for n, kind, h in files[path]:
            if kind == '<' and any(fnmatch.fnmatch(h, p) for p, _ in owners):
                out.append(h)
            elif kind == '"' and h in headers and headers[h] not in seen:
                seen.add(headers[h])
                out += third_party(headers[h], seen)
        return out

    for path, incs in sorted(files.items()):
        layer = path.split('/')[0]
        for n, kind, h in incs:
            where = 'src/%s:%d' % (path, n)
            if kind == '"':
                target = headers.get(h)
                if target is None:
                    bad.append('%s: includes "%s", no header of any layer' % (where, h))
                    continue
                tl = target.split('/')[0]
                if rank[tl] > rank[layer]:
                    bad.append('%s: includes "%s" of layer %s, above %s (layers.txt)'
                               % (where, h, tl, layer))
                    continue
                for t in third_party(target, {target}):
                    if not owner_ok(t, path):
                        bad.append('%s: includes "%s", which brings <%s> outside its owner '
                                   '(layers.txt)' % (where, h, t))
            elif not owner_ok(h, path):
                bad.append('%s: includes <%s> outside its owner (layers.txt)' % (where, h))
    for line in bad:
        print('check_layers: ' + line)
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
