// The one translation unit that compiles Boost.JSON and Boost.URL, so that every other file
// includes only their headers and the build stays quick.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
