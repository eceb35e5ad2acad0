"""Starts and stops `groupshard serve` for the tests and the benchmark, and talks
to it over HTTP with the Python standard library only."""
import http.client
import json
import os
import re
import shlex
import signal
import subprocess
import threading
import time


class Server:
    """`LAUNCHER -np N GROUPSHARD serve --port 0 ARGS`, on a port the OS picks."""

    def __init__(self, launcher, np, groupshard, args, start_timeout=180):
        self.command = shlex.split(launcher) + ["-np", str(np), groupshard, "serve", "--port", "0"] + list(args)
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_rmaps_base_oversubscribe="1", OMP_WAIT_POLICY="passive")
        self.proc = subprocess.Popen(self.command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                     env=env)
        self.log = []
        self.port = None
        deadline = time.time() + start_timeout
        while self.port is None:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError("the server exited before listening (status %s):\n%s"
                                   % (self.proc.wait(), "".join(self.log)))
            self.log.append(line)
            found = re.search(r"serving .* on http://([^:]+):(\d+) .*pid (\d+)", line)
            if found:
                self.host, self.port, self.rank0_pid = found.group(1), int(found.group(2)), int(found.group(3))
            if time.time() > deadline:
                self.kill()
                raise RuntimeError("the server did not listen within %d s" % start_timeout)
        self._drain = threading.Thread(target=self._read_log, daemon=True)
        self._drain.start()

    def _read_log(self):
        for line in self.proc.stderr:
            self.log.append(line)

    def stop(self, sig=signal.SIGTERM, timeout=60, to_mpirun=False):
        """Signals rank 0 (or mpirun, which passes the signal on to every rank but then
        exits 1 as a job that was signalled); returns mpirun's exit status."""
        if to_mpirun:
            self.proc.send_signal(sig)
        else:
            os.kill(self.rank0_pid, sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError("the server did not stop within %d s after %s" % (timeout, sig))

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def connection(self, timeout=120):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=120):
        """(status, parsed JSON or text)."""
        conn = self.connection(timeout)
        try:
            data = body if isinstance(body, (str, bytes)) or body is None else json.dumps(body)
            hdrs = {"Content-Type": "application/json"}
            hdrs.update(headers or {})
            conn.request(method, path, body=data, headers=hdrs)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            if response.getheader("Content-Type", "").startswith("application/json"):
                return response.status, json.loads(text)
            return response.status, text
        finally:
            conn.close()

    def stream(self, path, body, timeout=120):
        """Yields the parsed data of each server-sent event ('[DONE]' as is)."""
        conn = self.connection(timeout)
        try:
            conn.request("POST", path, body=json.dumps(dict(body, stream=True)),
                         headers={"Content-Type": "application/json"})
            response = conn.getresponse()
            if response.status != 200:
                raise RuntimeError("status %d: %s" % (response.status, response.read()))
            for line in response:
                line = line.decode("utf-8").rstrip("\n")
                if line.startswith("data: "):
                    data = line[len("data: "):]
                    yield data if data == "[DONE]" else json.loads(data)
        finally:
            conn.close()

    def metrics(self):
        status, text = self.request("GET", "/metrics")
        assert status == 200, status
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values
