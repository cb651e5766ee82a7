// SPDX-License-Identifier: GPL-2.0-only
// The detector's ring-buffer records (games/detector_record.h). The kernel writes them, but an
// exec record's strings are whatever the new process was given, and its size fields are only
// as good as the BPF code that set them: the decoder must hold for any bytes.
//
// Invariants:
//   - a decoded record is never larger than its input; an exec record's strings fit in it;
//   - the strings come back in order: argv then environment, joined with NULs, are a prefix of
//     the record's strings, and only an incomplete last string is ever left out;
//   - at most argc arguments; complete exactly when strings_len == strings_total.
#include "fuzz_check.h"
#include "games/detector_record.h"

#include <cstring>
#include <string>

using namespace scx_gamer;
using fuzz::require;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto record = decode_detector_record({reinterpret_cast<const std::byte*>(data), size});
    if (!record)
        return 0;
    require(size >= sizeof(gamer_event), "a record holds at least the common part");
    if (record->event.kind != GAMER_EV_EXEC) {
        require(!record->exec, "only exec records carry strings");
        return 0;
    }
    require(record->exec.has_value(), "an exec record carries strings");
    gamer_exec_event head;
    require(size >= sizeof(head), "an exec record holds its exec fields");
    std::memcpy(&head, data, sizeof(head));
    require(sizeof(head) + head.strings_len <= size, "the strings fit in the record");

    const ExecStrings& exec = *record->exec;
    require(exec.argv.size() <= head.argc, "at most argc arguments");
    require(exec.complete == (head.strings_len == head.strings_total),
            "complete exactly when nothing was cut");
    std::string joined;
    for (const auto* list : {&exec.argv, &exec.environment})
        for (const auto& item : *list) {
            require(item.find('\0') == std::string::npos, "strings hold no NUL");
            joined += item;
            joined += '\0';
        }
    const std::string strings(reinterpret_cast<const char*>(data) + sizeof(head), head.strings_len);
    require(strings.starts_with(joined) || joined == strings + '\0',
            "the strings come back in order");
    const std::string rest = strings.substr(std::min(joined.size(), strings.size()));
    require(rest.find('\0') == std::string::npos, "only an incomplete last string is left out");
    return 0;
}
