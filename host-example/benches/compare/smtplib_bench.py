"""Python's smtplib on one reused connection: argv host port message-file count seconds.
Sends the message until count messages are sent or the seconds are used up (at least 3),
then prints "<messages> <elapsed seconds>"."""

import smtplib
import sys
import time


def main():
    host, port, path, count, seconds = sys.argv[1:6]
    count, seconds = int(count), float(seconds)
    with open(path, "rb") as f:
        message = f.read()
    client = smtplib.SMTP(host, int(port))
    client.ehlo("bench.example")
    sent = 0
    start = time.perf_counter()
    while sent < count and (sent < 3 or time.perf_counter() - start < seconds):
        client.sendmail("a@example.org", ["b@example.net"], message)
        sent += 1
    elapsed = time.perf_counter() - start
    client.quit()
    print(sent, elapsed)


main()
