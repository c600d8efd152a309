"""pytest wiring for natter's end-to-end tests: fixtures for keys, the identity provider and
natter processes; `async def` tests run on a fresh event loop with a hard timeout; when a
test fails, the tail of every natter log it started is attached to the report."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from natter_e2e import (IdentityProvider, Natter, SigningKey, base_args, clean_env,
                        close_all_websockets, free_port, natter_binary)

DEFAULT_TEST_TIMEOUT = 60


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout(seconds): hard limit for an async test")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Runs `async def` tests with asyncio.run (no pytest-asyncio in Debian's set)."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    marker = pyfuncitem.get_closest_marker("timeout")
    limit = marker.args[0] if marker else DEFAULT_TEST_TIMEOUT
    args = {name: pyfuncitem.funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}

    async def run():
        try:
            await asyncio.wait_for(pyfuncitem.obj(**args), limit)
        except asyncio.TimeoutError:
            raise AssertionError(f"test did not finish within {limit}s") from None
        finally:
            await close_all_websockets()

    asyncio.run(run())
    return True


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for n in getattr(item, "_natters", []):
            report.sections.append((f"natter on port {n.port}: {' '.join(n.args[1:])} "
                                    f"(log tail)", n.log_tail(80)))
        # Other services a test started (Valkey, ...) register (title, callable) here.
        for title, describe in getattr(item, "_natter_services", []):
            report.sections.append((title, describe()))


@pytest.fixture(scope="session")
def keys():
    """Signing keys made once per run. rsa/ec are served by the provider by default; the
    others are for rotation and forgery."""
    return {
        "rsa": SigningKey("rsa", "rsa-1"),
        "ec": SigningKey("ec", "ec-1"),
        "rsa2": SigningKey("rsa", "rsa-2"),
        "rsa3": SigningKey("rsa", "rsa-3"),
        "rogue": SigningKey("rsa", "rsa-1"),  # same kid as "rsa", another key: forgeries
        "enc": SigningKey("rsa", "enc-1", use="enc"),
    }


@pytest.fixture
def idp(keys):
    provider = IdentityProvider([keys["rsa"], keys["ec"]])
    yield provider
    provider.close()


@pytest.fixture
def start_natter(request, tmp_path, idp):
    """start_natter(*extra_args, env=None, idp=<the test's provider>|None, jwks_url=None,
    issuer=None, base=True, wait=True, port=None) -> Natter. base=False: only the binary
    and `extra` (configure through env then). Stopped with SIGTERM on teardown."""
    started: list[Natter] = []
    request.node._natters = started
    binary = natter_binary()

    def start(*extra, env=None, provider=idp, jwks_url=None, issuer=None, base=True,
              wait=True, port=None) -> Natter:
        if not binary.is_file():
            pytest.fail(f"natter binary not found at {binary} (set NATTER_BINARY or build "
                        f"the release preset)")
        port = port or free_port()
        if base:
            args = base_args(port, provider, jwks_url=jwks_url, issuer=issuer)
        else:
            args = [str(binary)]
        args += [str(a) for a in extra]
        n = Natter(args, clean_env(env), tmp_path / f"natter-{len(started)}.log", port)
        started.append(n)
        if wait:
            n.wait_ready()
        return n

    yield start
    problems = []
    for n in started:
        died = n.proc.poll()
        rc = n.stop()
        if died is not None and not n.expect_exit:
            problems.append(f"natter on port {n.port} exited during the test with {rc}:\n"
                            f"{n.log_tail(40)}")
    if problems:
        pytest.fail("\n".join(problems))


@pytest.fixture
def natter(start_natter):
    return start_natter()
