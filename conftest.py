"""Loopback peers shared by every test package, registered once here."""

pytest_plugins = [
    "tests.peers.certs",
    "tests.peers.mail",
    "tests.peers.web",
    "tests.peers.aws",
    "tests.peers.dns",
    "tests.peers.awsstandin",
    "tests.peers.blackbox",
    "tests.peers.prometheus",
    "tests.peers.alertmanager",
    "tests.peers.prometheus_server",
    "tests.peers.alertstack",
    "tests.peers.slack",
    "tests.peers.sentinel",
    "tests.peers.redis",
]
