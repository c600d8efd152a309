# Writes OUTPUT, a C++ file holding every migrations/<store>/NNN_name.sql as a raw string
# literal (see migrations.hpp). Run with: cmake -DOUTPUT=... -DSQLITE_DIR=... -DPOSTGRES_DIR=...
# -P embed_migrations.cmake
cmake_minimum_required(VERSION 3.25)

set(delimiter "natter_sql")

function(embed_dir dir array_name out_var)
  file(GLOB files "${dir}/*.sql")
  list(SORT files)
  if(NOT files)
    message(FATAL_ERROR "no migrations in ${dir}")
  endif()
  set(body "constexpr Migration ${array_name}[] = {\n")
  set(previous 0)
  foreach(file IN LISTS files)
    get_filename_component(name "${file}" NAME_WE)
    string(REGEX MATCH "^[0-9]+" number "${name}")
    if(number STREQUAL "")
      message(FATAL_ERROR "migration ${file} does not start with its number")
    endif()
    math(EXPR version "${number}")
    if(NOT version GREATER previous)
      message(FATAL_ERROR "migration ${file}: numbers must increase")
    endif()
    set(previous ${version})
    file(READ "${file}" sql)
    string(FIND "${sql}" ")${delimiter}\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "migration ${file} contains the raw-string delimiter")
    endif()
    string(APPEND body "    {${version}, \"${name}\", R\"${delimiter}(${sql})${delimiter}\"},\n")
  endforeach()
  string(APPEND body "};\n")
  set(${out_var} "${body}" PARENT_SCOPE)
endfunction()

embed_dir("${SQLITE_DIR}" kSqliteMigrations sqlite_body)
embed_dir("${POSTGRES_DIR}" kPostgresMigrations postgres_body)

set(content "// Generated from migrations/ by src/store/embed_migrations.cmake; do not edit.
#include \"store/migrations.hpp\"

namespace natter::store {
namespace {

${sqlite_body}
${postgres_body}
}  // namespace

std::span<const Migration> sqlite_migrations() { return kSqliteMigrations; }
std::span<const Migration> postgres_migrations() { return kPostgresMigrations; }

}  // namespace natter::store
")

# Only rewrite when something changed, so an unchanged schema does not rebuild the library.
if(EXISTS "${OUTPUT}")
  file(READ "${OUTPUT}" existing)
  if(existing STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUTPUT}" "${content}")
