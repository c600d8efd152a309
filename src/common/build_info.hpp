// What this binary is: natter's version (CMakeLists.txt's project() is the one place it is
// set) and the git commit it was built from (empty when not built from a checkout).
#pragma once

#include <string_view>

namespace natter {

std::string_view version();
std::string_view commit();  // "" outside a checkout; "<hash>-dirty" with local changes

}  // namespace natter
