"""A real SMTP server for Rosette's mail tests (aiosmtpd).

Prints the port it listens on, then writes one JSON line per accepted message to the
file named by its first argument. Recipients starting with "bounce" are refused with a
permanent 550; those starting with "later" with a temporary 451. SMTP_DELAY (seconds)
slows each message down, so a test can stop a sender mid-send.
"""
import asyncio
import json
import os
import socket
import sys

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, path):
        self.path = path

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("bounce"):
            return "550 5.1.1 No such mailbox here"
        if address.startswith("later"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(float(os.environ.get("SMTP_DELAY", "0")))
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps({
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "data": envelope.content.decode("utf-8", "replace"),
            }) + "\n")
        return "250 Message accepted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    port = free_port()
    controller = Controller(Handler(sys.argv[1]), hostname="127.0.0.1", port=port)
    controller.start()
    print(port, flush=True)
    try:
        sys.stdin.read()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
