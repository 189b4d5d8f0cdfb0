#!/usr/bin/env python3
"""Picks free TCP ports on 127.0.0.1 for Molecule instances on the host network.

Usage: pick-ports.py DIRECTORY HOST[,HOST...]

Writes DIRECTORY/HOST.yml for each host (mock, proxy, redirect, admin, mock2: a port each) and prints them.
Run by molecule/shared/prepare.yml on the controller, which shares its network with the instances.
"""
import os
import random
import socket
import sys

NAMES = ("mock", "proxy", "redirect", "admin", "mock2")


def free_ports(count):
    # Below the kernel's ephemeral range, so no outgoing connection is given one of these ports as
    # its source port before the services bind them. All sockets stay open until every port is
    # known, so no port is handed out twice.
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        ephemeral_start = int(f.read().split()[0])
    held = []
    try:
        for port in random.sample(range(10000, ephemeral_start), min(500, ephemeral_start - 10000)):
            if len(held) == count:
                break
            s = socket.socket()
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                s.close()
                continue
            held.append(s)
        if len(held) < count:
            sys.exit("pick-ports.py: found only %d free ports on 127.0.0.1 below %d" % (len(held), ephemeral_start))
        return [s.getsockname()[1] for s in held]
    finally:
        for s in held:
            s.close()


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip(), file=sys.stderr)
        sys.exit(2)
    directory, hosts = sys.argv[1], sys.argv[2].split(",")
    ports = free_ports(len(hosts) * len(NAMES))
    os.makedirs(directory, exist_ok=True)
    for i, host in enumerate(hosts):
        mine = dict(zip(NAMES, ports[i * len(NAMES):(i + 1) * len(NAMES)]))
        with open(os.path.join(directory, host + ".yml"), "w") as f:
            f.write("# Free loopback ports picked by molecule/shared/pick-ports.py for %s.\n" % host)
            f.writelines("%s: %d\n" % item for item in mine.items())
        print(host, mine)


if __name__ == "__main__":
    main()
