#!/usr/bin/env bash
# app-role.sh: create or update the application's role (app-role.sql) as the superuser, then check
# that it is what the API may have: LOGIN, not superuser, cannot create roles or databases, no
# replication, no RLS bypass, member of no role, owner of the app database. Idempotent: on a new or an
# adopted database, run it again and only the password is set again (Job ternent-postgres-app-role).
# The password is turned into a SCRAM-SHA-256 verifier here (RFC 7677, 4096 iterations, random salt),
# so the server, its logs and its statistics never see it.
#
# Inputs (environment):
#   PGHOST, PGPORT, PGUSER, PGPASSWORD   the superuser's connection (Secret ternent-postgres)
#   TERNENT_APP_USER                     the role (postgres.appUser), e.g. ternent_app
#   TERNENT_APP_PASSWORD                 its password (Secret ternent-postgres-app); printable ASCII
#   TERNENT_APP_DATABASE                 the database it owns (default: PGDATABASE)
#   TERNENT_APP_KEEP                     relations that stay the superuser's (default ternent_canary)
#   TERNENT_SCRIPTS
# Output: one JSON line {"ok","role","database","created","reassigned","login","superuser",…,"problems"}.
# Exit codes: 0 role ready; 1 database error or the role is not what it must be; 2 bad input/config.
set -euo pipefail
# shellcheck source=common.sh source-path=SCRIPTDIR
. "${TERNENT_SCRIPTS:-/ternent/scripts}/common.sh"

require_env PGHOST PGUSER TERNENT_APP_USER TERNENT_APP_PASSWORD
app_db=${TERNENT_APP_DATABASE:-${PGDATABASE:-}}
[ -n "$app_db" ] || die 2 "TERNENT_APP_DATABASE (or PGDATABASE) is required"
keep=${TERNENT_APP_KEEP-ternent_canary}
[[ "$TERNENT_APP_USER" =~ ^[a-z_][a-z0-9_]{0,62}$ ]] \
    || die 2 "TERNENT_APP_USER='$TERNENT_APP_USER' is not a plain role name (lower-case letters, digits, _)"
[ "$TERNENT_APP_USER" != "$PGUSER" ] || die 2 "TERNENT_APP_USER must not be the superuser $PGUSER"
[[ "$TERNENT_APP_PASSWORD" =~ ^[[:graph:]]{16,}$ ]] \
    || die 2 "TERNENT_APP_PASSWORD must be at least 16 printable ASCII characters without spaces (value not shown)"

# SCRAM-SHA-256 verifier as PostgreSQL stores it: SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>.
# (SASLprep leaves printable ASCII unchanged.)
verifier=$(perl -MDigest::SHA=hmac_sha256,sha256 -MMIME::Base64 -e '
    my ($pw, $iter) = ($ENV{TERNENT_APP_PASSWORD}, 4096);
    open(my $r, "<:raw", "/dev/urandom") or die "urandom: $!\n";
    read($r, my $salt, 16) == 16 or die "urandom: short read\n";
    my $u = hmac_sha256($salt . pack("N", 1), $pw);
    my $salted = $u;
    for (2 .. $iter) { $u = hmac_sha256($u, $pw); $salted ^= $u; }
    my $b = sub { encode_base64($_[0], "") };
    printf "SCRAM-SHA-256\$%d:%s\$%s:%s", $iter, $b->($salt),
        $b->(sha256(hmac_sha256("Client Key", $salted))), $b->(hmac_sha256("Server Key", $salted));
') || die 1 "cannot compute the SCRAM verifier"

wait_for_postgres 120 || die 1 "PostgreSQL at $PGHOST:${PGPORT:-5432} does not accept connections"
out=$(TERNENT_APP_PASSWORD_VERIFIER=$verifier psql -X -q -A -t -v ON_ERROR_STOP=1 -d postgres \
    -v app_user="$TERNENT_APP_USER" -v app_db="$app_db" -v keep="$keep" \
    -f "$TERNENT_SCRIPTS/app-role.sql" 2>&1) || die 1 "app-role.sql failed: $(printf '%s' "$out" | tail -n 3)"
state=$(printf '%s\n' "$out" | grep '^{' | tail -n 1)
[ -n "$state" ] || die 1 "app-role.sql reported nothing: $out"

perl -MJSON::PP -e '
    my $s = decode_json($ARGV[0]);
    my @p;
    push @p, "cannot log in" unless $s->{login};
    push @p, "$_ is set" for grep { $s->{$_} } qw(superuser createrole createdb replication bypassrls);
    push @p, "member of " . join(", ", @{ $s->{memberOf} }) if @{ $s->{memberOf} };
    push @p, "does not own database $s->{database}" unless $s->{ownsDatabase};
    push @p, "password is not a SCRAM-SHA-256 verifier" unless $s->{scram};
    $s->{ok} = @p ? JSON::PP::false : JSON::PP::true;
    $s->{problems} = \@p;
    print JSON::PP->new->canonical->encode($s), "\n";
    exit(@p ? 1 : 0);
' "$state" && rc=0 || rc=$?
[ "$rc" -eq 0 ] || die 1 "role $TERNENT_APP_USER is not least-privilege (see problems in the JSON line)"
log "role $TERNENT_APP_USER ready: owns $app_db, no superuser, no role creation, no memberships"
