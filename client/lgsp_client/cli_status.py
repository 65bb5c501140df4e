"""`lgsp status-reply` and `lgsp status-replies`: answer a message with an edXML status
code, read a message's replies, save one as an edXML status package (the hub's
docs/edxml.md, "Status replies").

    lgsp status-reply <message-id> 03 --comment "Đã tiếp nhận"   # a destination
    lgsp status-reply <message-id> 13 --comment "Sai số hiệu"    # the source: recall
    lgsp status-replies <message-id>
    lgsp status-replies <message-id> --edxml <reply-id> > status.xml
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from lgsp_client.api import LgspClient
from lgsp_client.options import argument_type, parse_status_code

COMMANDS = ("status-reply", "status-replies")


def add_status_commands(sub: Any, common: argparse.ArgumentParser) -> None:
    answer = sub.add_parser("status-reply", parents=[common],
                            help="answer a message with a status code (01-06, 15, 16; "
                                 "the source: 13)")
    answer.add_argument("id", metavar="MESSAGE_ID")
    answer.add_argument("code", type=argument_type(parse_status_code, "code"), metavar="CODE",
                        help="01 arrived, 02 rejected, 03 accepted, 04 assigned, "
                             "05 in_progress, 06 completed, 13 recall_requested, "
                             "15 recall_accepted, 16 recall_refused (or the Vietnamese name)")
    answer.add_argument("--comment", metavar="TEXT", help="what your unit adds (≤ 1000)")
    answer.add_argument("--json", action="store_true", help="print the hub's answer")
    replies = sub.add_parser("status-replies", parents=[common],
                             help="a message's status replies (or one as edXML)")
    replies.add_argument("id", metavar="MESSAGE_ID")
    replies.add_argument("--edxml", metavar="REPLY_ID",
                         help="write that reply as an edXML status package to stdout")
    replies.add_argument("--json", action="store_true", help="print the hub's answer")


def reply_line(reply: dict[str, Any]) -> str:
    hops = " via " + ", ".join(h["hub"] for h in reply["hops"]) if reply.get("hops") else ""
    comment = f"  {reply['comment']}" if reply.get("comment") else ""
    return (f"{reply['at']}  {reply['id']}  {reply['unit']} ({reply['role']})  "
            f"{reply['code']} {reply['meaning']}{hops}{comment}")


def run_status(client: LgspClient, args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "status-reply":
        reply = client.status_reply(args.id, args.code, args.comment)
        print(json.dumps(reply, ensure_ascii=False, indent=2) if args.json
              else reply_line(reply), file=out)
        return 0
    if args.edxml:
        package = client.status_reply_edxml(args.id, args.edxml)
        if out is sys.stdout:
            sys.stdout.buffer.write(package)
            sys.stdout.flush()
        else:
            out.write(package.decode("utf-8"))
        return 0
    page = client.status_replies(args.id, every_page=True)
    if args.json:
        print(json.dumps(page, ensure_ascii=False, indent=2), file=out)
        return 0
    for reply in page["items"]:
        print(reply_line(reply), file=out)
    if not page["items"]:
        print("(no status replies)", file=out)
    return 0
