// Process resource limits.
#pragma once

namespace ringboot::io {

// Raises the soft open-file limit to the hard one; returns the new limit.
unsigned long raise_open_file_limit();

}  // namespace ringboot::io
