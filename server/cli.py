"""The `citizen-hub` command."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from server.config import Settings, SettingsError
from server.errors import UserInputError
from server.i18n import translate


def fail(message: str) -> NoReturn:
    print(f"citizen-hub: {message}", file=sys.stderr)
    raise SystemExit(2)


def _run(coro_fn: Callable[[Any], Awaitable[Any]], settings: Settings) -> Any:
    """Run `coro_fn(hub)` with a hub whose database is migrated."""
    from server.hub import Hub

    async def main() -> Any:
        hub = Hub.build(settings)
        try:
            return await coro_fn(hub)
        finally:
            await hub.close()

    return asyncio.run(main())


# Input fields of the services, as the command line names them.
FLAGS = {
    "scopes": "--scopes",
    "redirectUri": "--redirect-uri",
    "name": "--name",
    "phone": "--phone",
    "password": "--password",
    "fullName": "--name",
    "nationalId": "--national-id",
    "agency": "--agency",
}


def _user_error_text(error: UserInputError) -> str:
    return "; ".join(
        (f"{FLAGS.get(e.field[-1], e.field[-1])}: " if e.field else "") + translate(e.message, "en", e.params)
        for e in error.errors
    )


# ---------------------------------------------------------------- commands


def cmd_migrate(settings: Settings, _args: argparse.Namespace) -> None:
    from server.migrate import upgrade

    upgrade(settings)
    print("database is at the newest migration")


def cmd_seed(settings: Settings, args: argparse.Namespace) -> None:
    if not args.demo:
        fail("nothing to seed: pass --demo to load the demo province")
    from server.migrate import upgrade
    from server.seed import seed_demo

    upgrade(settings)

    async def seed(hub: Any) -> dict[str, int]:
        async with hub.session_factory() as session:
            return await seed_demo(session, settings)

    counts = _run(seed, settings)
    print("demo data loaded: " + ", ".join(f"{n} {name}" for name, n in counts.items()))


def seed_if_empty(settings: Settings) -> dict[str, int] | None:
    """Demo data for an empty embedded database, so that one command gives a hub worth trying."""
    if not (settings.is_sqlite and settings.load_demo_data):
        return None
    from server.seed import is_empty, seed_demo

    async def seed(hub: Any) -> dict[str, int] | None:
        async with hub.session_factory() as session:
            if not await is_empty(session):
                return None
            return await seed_demo(session, settings)

    return _run(seed, settings)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> None:
    import uvicorn

    from server.migrate import upgrade

    if not 0 < args.port < 65536:
        fail(f"--port must lie between 1 and 65535, got {args.port}")
    if args.workers < 1:
        fail(f"--workers must be at least 1, got {args.workers}")
    upgrade(settings)
    counts = seed_if_empty(settings)
    if counts:
        print("empty database: demo data loaded (" + ", ".join(f"{n} {k}" for k, n in counts.items()) + ")")
    print(f"citizen hub on http://{args.host}:{args.port}/ (GraphiQL at /graphql)", flush=True)
    uvicorn.run(
        "server.app:app_from_env",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_level="warning",
        ws="websockets-sansio",
        # Live messages are a few hundred bytes: compressing them costs CPU, and each connection's zlib
        # state would cost far more memory than the connection itself (5,000 idle subscribers).
        ws_per_message_deflate=False,
        proxy_headers=False,
    )


def cmd_create_user(settings: Settings, args: argparse.Namespace) -> None:
    from server.identity import service
    from server.identity.principal import Role

    role = Role(args.role.upper())
    if role is Role.CADRE and not args.agency:
        fail("a cadre needs --agency CODE")
    if role is not Role.CADRE and args.agency:
        fail("--agency is only for cadres (--role cadre)")
    data = service.NewAccount(
        phone=args.phone, password=args.password, full_name=args.name, national_id=args.national_id
    )

    async def create(hub: Any) -> Any:
        async with hub.session_factory() as session:
            account = await service.create_account(session, data, role=role, agency_code=args.agency, path=())
            await session.commit()
            return account

    try:
        account = _run(create, settings)
    except UserInputError as error:
        fail(_user_error_text(error))
    print(f"created {account.role.lower()} account {account.id} for {account.phone}")


def cmd_verify_identity(settings: Settings, args: argparse.Namespace) -> None:
    from server.identity import service

    async def verify(hub: Any) -> Any:
        async with hub.session_factory() as session:
            return await service.verify_identity(session, args.phone)

    try:
        account = _run(verify, settings)
    except UserInputError as error:
        fail(_user_error_text(error))
    print(f"national ID {service.mask_national_id(account.national_id)} of {account.phone} is verified")


def cmd_export_schema(settings: Settings, _args: argparse.Namespace) -> None:
    from graphql_schema.schema import build_schema

    sys.stdout.write(build_schema(development=settings.is_development).as_str() + "\n")


def cmd_rotate_keys(settings: Settings, _args: argparse.Namespace) -> None:
    from datetime import timedelta

    from server.identity.keys import KeyMaterialError, KeyStore

    store = KeyStore(
        settings.keys_dir, timedelta(seconds=settings.access_token_seconds), settings.jwt_signing_key_pem
    )
    try:
        store.load(create=True)
        new = store.rotate()
    except KeyMaterialError as error:
        fail(str(error))
    kept = len(store.jwks()["keys"])
    print(f"new signing key {new.kid}; {kept} key(s) published for verification")


def cmd_import_catalog(settings: Settings, args: argparse.Namespace) -> None:
    """All or nothing: any malformed row is reported (place and reason) and nothing of the file is stored."""
    from pathlib import Path

    from server.catalog.importer import CatalogImportError, import_file
    from server.migrate import upgrade

    path = Path(args.file)
    if not path.is_file():
        fail(f"no such file: {args.file}")
    upgrade(settings)

    async def run(hub: Any) -> Any:
        async with hub.session_factory() as session:
            result = await import_file(session, path)  # on error the session closes without commit
            await session.commit()
            return result

    try:
        result = _run(run, settings)
    except CatalogImportError as error:
        for where, reason in error.problems:
            print(f"{args.file}: {where}: {reason}", file=sys.stderr)
        count = len(error.problems)
        print(f"citizen-hub: nothing imported from {args.file} ({count} problem(s))", file=sys.stderr)
        raise SystemExit(1) from None
    created = f"; new sectors: {', '.join(result.sectors_created)}" if result.sectors_created else ""
    print(
        f"imported {path.name}: {result.created} created, {result.updated} updated, "
        f"{result.unchanged} unchanged{created}"
    )


def cmd_create_app(settings: Settings, args: argparse.Namespace) -> None:
    from server.apps import service

    scopes = service.parse_scopes(args.scopes)

    async def create(hub: Any) -> Any:
        async with hub.session_factory() as session:
            return await service.create_app(session, args.name, scopes, args.redirect_uri or [])

    try:
        new = _run(create, settings)
    except UserInputError as error:
        fail(_user_error_text(error))
    print(f"app {new.app.name!r} created with scopes {new.app.scopes}")
    print(f"client_id={new.app.client_id}")
    print(f"client_secret={new.client_secret}")
    print("Keep the secret now: it is stored only as a hash and cannot be shown again.")


# ---------------------------------------------------------------- parser


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="citizen-hub", description="The citizen hub of the province.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    serve = sub.add_parser("serve", help="migrate, load demo data into an empty embedded database, serve")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(handler=cmd_serve)

    sub.add_parser("migrate", help="bring the database to the newest migration").set_defaults(
        handler=cmd_migrate
    )

    seed = sub.add_parser("seed", help="load the demo province")
    seed.add_argument(
        "--demo", action="store_true", help="units, agencies, sectors, procedures, categories, feedback"
    )
    seed.set_defaults(handler=cmd_seed)

    user = sub.add_parser("create-user", help="create an account")
    user.add_argument("--phone", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", default="citizen", choices=["citizen", "cadre", "admin"])
    user.add_argument("--agency", help="agency code, for cadres")
    user.add_argument("--national-id", dest="national_id")
    user.set_defaults(handler=cmd_create_user)

    verify = sub.add_parser("verify-identity", help="mark an account's national ID as verified")
    verify.add_argument("--phone", required=True)
    verify.set_defaults(handler=cmd_verify_identity)

    app = sub.add_parser("create-app", help="register a third-party app; prints its client id and secret")
    app.add_argument("--name", required=True)
    app.add_argument("--scopes", required=True, help="comma- or space-separated: read:public,read:profile")
    app.add_argument("--redirect-uri", dest="redirect_uri", action="append", help="for the code flow")
    app.set_defaults(handler=cmd_create_app)

    sub.add_parser("export-schema", help="print the served SDL").set_defaults(handler=cmd_export_schema)
    sub.add_parser(
        "rotate-keys", help="add a signing key; older keys verify until their tokens expire"
    ).set_defaults(handler=cmd_rotate_keys)
    catalog = sub.add_parser("import-catalog", help="import procedures from a national catalogue export")
    catalog.add_argument("file", help="a JSON or CSV export; the accepted shapes: docs/catalogue.md")
    catalog.set_defaults(handler=cmd_import_catalog)
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        fail(str(error))
    needs_schema = args.command in {"create-user", "verify-identity", "create-app"}
    if needs_schema:
        from server.migrate import upgrade

        upgrade(settings)
    args.handler(settings, args)


if __name__ == "__main__":
    main()
