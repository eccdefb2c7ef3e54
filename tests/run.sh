#!/usr/bin/env bash
# Set up everything the test suite needs on a fresh Debian machine, then run it.
#   bash tests/run.sh            # everything: lint, unit, CLI, browser and PostGIS tests
#   bash tests/run.sh -k overlay # extra arguments go to pytest
# Installs: Debian chromium (browser tests), fonts-noto-cjk (Chinese text in screenshots, map
# sheets and report figures), PostgreSQL 15 + PostGIS 3 (database tests), gdal-bin (ogrinfo /
# ogr2ogr edit the registry as QGIS does; gdalwarp / gdaldem are the reference for slopes of
# warped DEMs), python3-gdal (GDAL's GeoPackage validator), LibreOffice Writer and poppler-utils
# (Word reports converted to PDF and read back); the Python package with its test extra.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need_apt+=(fonts-noto-cjk)
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || need_apt+=(postgresql-15 postgresql-15-postgis-3)
# ogrinfo / ogr2ogr edit the registry as QGIS does; gdalwarp / gdaldem check warped slopes
command -v gdaldem >/dev/null 2>&1 || need_apt+=(gdal-bin)
# GDAL's validate_gpkg.py, run by the system Python, checks every GeoPackage ecogis writes
/usr/bin/python3 -c "import osgeo_utils.samples.validate_gpkg" 2>/dev/null || need_apt+=(python3-gdal)
# Word reports: LibreOffice converts each to PDF (about 70 MB to download, 210 MB installed),
# poppler reads the PDFs back (pdfinfo, pdftotext)
command -v soffice >/dev/null 2>&1 || need_apt+=(libreoffice-writer-nogui)
command -v pdftotext >/dev/null 2>&1 || need_apt+=(poppler-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "== apt-get install ${need_apt[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

echo "== pip install -e .[test]"
python3 -m pip install -q --disable-pip-version-check -e ".[test]"

echo "== PostgreSQL/PostGIS"
if command -v pg_ctlcluster >/dev/null 2>&1; then
  if ! pg_lsclusters -h 2>/dev/null | grep -q "^15 *main"; then
    $SUDO pg_createcluster 15 main >/dev/null
  fi
  $SUDO pg_ctlcluster 15 main start 2>/dev/null || true
  for _ in $(seq 1 30); do
    pg_isready -q -h /var/run/postgresql && break
    sleep 1
  done
  me="$(id -un)"
  as_postgres() { if [ "$(id -u)" = "0" ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
  as_postgres psql -q -h /var/run/postgresql -d postgres -v ON_ERROR_STOP=1 -c \
    "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$me') THEN CREATE ROLE \"$me\" LOGIN SUPERUSER; END IF; END \$\$;" >/dev/null
  psql -h /var/run/postgresql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='ecogis_test'" | grep -q 1 \
    || createdb -h /var/run/postgresql ecogis_test
  psql -q -h /var/run/postgresql -d ecogis_test -c "CREATE EXTENSION IF NOT EXISTS postgis" >/dev/null
  export ECOGIS_TEST_POSTGIS="postgresql://$me@/ecogis_test?host=/var/run/postgresql"
fi

echo "== ruff"
python3 -m ruff check ecogis tests benchmarks
python3 -m ruff format --check ecogis tests benchmarks

echo "== pytest"
python3 -m pytest -q "$@"
