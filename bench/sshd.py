"""A throwaway OpenSSH server on loopback for the SFTP baseline (P2): what agencies use
today to move files, measured on the same machine and the same file as the hub.

Everything lives in a temporary folder: a generated host key, a generated client key
authorised for the current user, the config and the pid file. Nothing system-wide is
changed except `/run/sshd`, the privilege-separation directory sshd insists on when it
runs as root.
"""

from __future__ import annotations

import getpass
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from infra.local.launcher import free_port

SSHD = "/usr/sbin/sshd"
SFTP_SERVER = "/usr/lib/openssh/sftp-server"


class SshdUnavailable(RuntimeError):
    """sshd is missing or would not start; P2 is then reported as skipped."""


@dataclass
class LoopbackSshd:
    """`with LoopbackSshd(tmp) as sshd: sshd.sftp(batch)`: started on entry, killed on
    exit (only the process it started)."""

    folder: Path
    port: int = 0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def client_key(self) -> Path:
        return self.folder / "client_ed25519"

    def __enter__(self) -> LoopbackSshd:
        if not (os.path.isfile(SSHD) and os.access(SSHD, os.X_OK)):
            raise SshdUnavailable(f"{SSHD} not found (make bench-deps installs openssh-server)")
        if shutil.which("sftp") is None or shutil.which("ssh-keygen") is None:
            raise SshdUnavailable("the sftp or ssh-keygen client is not installed")
        self.folder.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self._write_config()
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
        log = (self.folder / "sshd.log").open("ab")
        self.proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(self.folder / "sshd_config")],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self._wait_ready()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None

    def _write_config(self) -> None:
        for name in ("host_ed25519", "client_ed25519"):
            key = self.folder / name
            if not key.exists():
                subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                               check=True, capture_output=True)
        authorised = self.folder / "authorized_keys"
        authorised.write_text((self.folder / "client_ed25519.pub").read_text())
        authorised.chmod(0o600)
        sftp_server = SFTP_SERVER if os.path.exists(SFTP_SERVER) else "internal-sftp"
        (self.folder / "sshd_config").write_text("\n".join([
            f"Port {self.port}", "ListenAddress 127.0.0.1",
            f"HostKey {self.folder / 'host_ed25519'}",
            f"AuthorizedKeysFile {authorised}", f"PidFile {self.folder / 'sshd.pid'}",
            f"AllowUsers {getpass.getuser()}", "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes", "PasswordAuthentication no",
            "KbdInteractiveAuthentication no", "StrictModes no", "UsePAM no",
            f"Subsystem sftp {sftp_server}", "LogLevel ERROR", ""]))

    def _wait_ready(self, deadline_s: float = 10) -> None:
        end = time.monotonic() + deadline_s
        assert self.proc is not None
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                log = (self.folder / "sshd.log").read_text(errors="replace")[-500:]
                self.proc = None
                raise SshdUnavailable(f"sshd exited: {log.strip()}")
            try:
                self.sftp(["pwd"], timeout=10)
                return
            except (subprocess.CalledProcessError, subprocess.TimeoutExpired):
                time.sleep(0.1)  # readiness polling, bounded by the deadline
        self.__exit__(None, None, None)
        raise SshdUnavailable(f"sshd did not accept an SFTP session within {deadline_s} s")

    def sftp(self, commands: list[str], timeout: float = 600) -> None:
        """One `sftp -b` session running `commands` (a failing command fails the run)."""
        batch = self.folder / "batch"
        batch.write_text("\n".join(commands) + "\n")
        subprocess.run(["sftp", "-q", "-b", str(batch), "-P", str(self.port),
                        "-i", str(self.client_key), "-o", "StrictHostKeyChecking=no",
                        "-o", f"UserKnownHostsFile={self.folder / 'known_hosts'}",
                        "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
                        f"{getpass.getuser()}@127.0.0.1"],
                       check=True, capture_output=True, timeout=timeout)
