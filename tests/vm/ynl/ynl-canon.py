# SPDX-License-Identifier: GPL-2.0-only OR MIT
"""ynl-canon.py groups|info|events|error < OUTPUT

Turns what the kernel's YNL CLI (tools/net/ynl/cli.py --output-json)
printed into vgprobe's lines, so the guest's "ynl" section can compare the
two, and ynl-client's, with diff:

  groups  a group-get dump (a JSON list) or do (an object): a group line
          and one line per device
  info    an info-get do
  events  the notifications a --subscribe run printed last (a JSON list)
  error   the CLI's NlError text: errno=NAME extack=MSG

A field the spec makes optional and the message lacks is printed as vgprobe
prints it ("-" or "?"); an unknown shape is an error, not an empty result.
"""
import errno
import json
import os
import re
import sys


def docs(text):
    """Every JSON document of the CLI's output, one per line."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def group_lines(g):
    devs = g.get('group-device', [])
    head = 'group=%d viable=%d seq=%d' % (g['group-id'], g['group-viable'],
                                          g['group-seq'])
    # group-in-use is absent up to 5.18: "-", as vgprobe prints it
    inuse = g.get('group-in-use')
    out = ['%s ready=%d inuse=%s ndev=%d' % (
        head, g['group-ready'], '-' if inuse is None else '%d' % inuse,
        len(devs))]
    for d in devs:
        out.append('%s dev=%s bus=%s driver=%s devviable=%d vfio=%d vfiodev=%s' % (
            head, d.get('name', '?'), d.get('bus', '?'), d.get('driver', '-'),
            d['viable'], d['vfio'], d.get('vfio-dev', '-')))
    return out


def info_line(i):
    return ('seq=%d dropped=%d notifier=%s groups=%d version=%s events=%d' %
            (i['seq'], i['dropped'], i['notifier'], i['groups'], i['version'],
             i['events']))


def event_line(n):
    if n.get('name') != 'event-ntf':
        raise ValueError('not an event-ntf: %r' % n)
    m = n['msg']
    e = m['group-event']
    return ('seq=%d kind=%s group=%d dev=%s driver=%s viable=%d ready=%d '
            'ndev=%d' %
            (e['seq'], e['kind'], m['group-id'], e.get('dev-name', '-'),
             e.get('driver', '-'), m['group-viable'], m['group-ready'],
             len(m.get('group-device', []))))


def error_line(text):
    """cli.py prints NlError: the strerror, then the message and extack."""
    m = re.match(r'Netlink error: (.*)', text)
    if not m:
        raise ValueError('no "Netlink error" in %r' % text[:200])
    names = [name for code, name in errno.errorcode.items()
             if os.strerror(code) == m.group(1)]
    ext = re.search(r"'msg': '([^']*)'", text)
    return 'errno=%s extack=%s' % (names[0] if names else '?',
                                   ext.group(1) if ext else '')


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    mode, text = sys.argv[1], sys.stdin.read()
    if mode == 'error':
        print(error_line(text))
        return
    d = docs(text)
    if not d:
        sys.exit('ynl-canon: no output to read')
    if mode == 'groups':
        for g in d[0] if isinstance(d[0], list) else [d[0]]:
            print('\n'.join(group_lines(g)))
    elif mode == 'info':
        print(info_line(d[0]))
    elif mode == 'events':
        for n in d[-1]:
            print(event_line(n))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
