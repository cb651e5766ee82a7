// SPDX-License-Identifier: GPL-2.0-only
// Hosts the real DbusService with a FakeController on the bus named by $DBUS_SYSTEM_BUS_ADDRESS,
// for the D-Bus integration tests. A second connection owns org.cachyos.ScxGamerTest, through
// which a test plays the daemon's part (games appear and exit, state changes) and reads the calls
// that reached the controller. It is a separate connection because the bus policy applies to
// every name a connection owns: a control object next to org.cachyos.ScxGamer would fall under
// that name's deny-by-default policy.
//
//   dbus_fixture_server [VERSION]     prints "ready" on stdout once both names are owned
#include "dbus/dbus_service.h"
#include "fake_controller.h"

#include <sdbus-c++/sdbus-c++.h>
#include <systemd/sd-event.h>

#include <csignal>
#include <cstdio>
#include <exception>
#include <memory>

namespace {

using scx_gamer::testing::FakeController;

const sdbus::InterfaceName kControlInterface{"org.cachyos.ScxGamerTest"};

struct EventUnref {
    void operator()(sd_event* event) const { sd_event_unref(event); }
};

std::unique_ptr<sdbus::IObject> export_control_object(sdbus::IConnection& bus,
                                                      FakeController& controller, sd_event* loop) {
    auto object = sdbus::createObject(bus, sdbus::ObjectPath{"/org/cachyos/ScxGamerTest"});
    object
        ->addVTable(
            sdbus::registerMethod("Calls").withOutputParamNames("calls").implementedAs(
                [&controller] { return controller.calls(); }),
            sdbus::registerMethod("ClearCalls").implementedAs([&controller] {
                controller.clear_calls();
            }),
            sdbus::registerMethod("DetectGame")
                .withInputParamNames("pid", "name", "exe", "reason")
                .implementedAs([&controller](uint32_t pid, std::string name, std::string exe,
                                             std::string reason) {
                    scx_gamer::Game game;
                    game.pid = pid;
                    game.name = std::move(name);
                    game.exe = std::move(exe);
                    game.reason = std::move(reason);
                    controller.detect_game(std::move(game));
                }),
            sdbus::registerMethod("ExitGame")
                .withInputParamNames("pid")
                .withOutputParamNames("existed")
                .implementedAs([&controller](uint32_t pid) { return controller.exit_game(pid); }),
            sdbus::registerMethod("SetSchedulerState")
                .withInputParamNames("state")
                .implementedAs([&controller](std::string state) {
                    controller.set_scheduler_state(std::move(state));
                }),
            sdbus::registerMethod("FailPersist")
                .withInputParamNames("message")
                .implementedAs([&controller](std::string message) {
                    controller.fail_persist(std::move(message));
                }),
            sdbus::registerMethod("SetDetectionMethod")
                .withInputParamNames("method")
                .implementedAs([&controller](std::string method) {
                    controller.set_detection_method(std::move(method));
                }),
            // Leaves the loop, so the test can check that the service shuts down cleanly.
            sdbus::registerMethod("Quit").implementedAs([loop] { sd_event_exit(loop, 0); }))
        .forInterface(kControlInterface);
    return object;
}

int run(const std::string& version) {
    sd_event* raw_loop = nullptr;
    if (sd_event_new(&raw_loop) < 0) {
        std::fprintf(stderr, "dbus_fixture_server: cannot create an event loop\n");
        return 1;
    }
    std::unique_ptr<sd_event, EventUnref> loop(raw_loop);

    // Signals end the loop like the real daemon's would.
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, nullptr);
    sd_event_add_signal(loop.get(), nullptr, SIGTERM, nullptr, nullptr);
    sd_event_add_signal(loop.get(), nullptr, SIGINT, nullptr, nullptr);

    FakeController controller;
    auto bus = scx_gamer::DbusService::connect_system_bus();
    auto service = scx_gamer::DbusService::start(*bus, loop.get(), controller, version);

    auto control_bus = sdbus::createSystemBusConnection();
    control_bus->attachSdEventLoop(loop.get());
    auto control = export_control_object(*control_bus, controller, loop.get());
    control_bus->requestName(sdbus::ServiceName{"org.cachyos.ScxGamerTest"});

    std::printf("ready\n");
    std::fflush(stdout);
    const int result = sd_event_loop(loop.get());

    // The service goes first: it holds references to the bus, the loop and the controller.
    service.reset();
    control.reset();
    control_bus.reset();
    bus.reset();
    return result < 0 ? 1 : 0;
}

} // namespace

int main(int argc, char** argv) {
    try {
        return run(argc > 1 ? argv[1] : "0.0.0-test");
    } catch (const sdbus::Error& e) {
        std::fprintf(stderr, "dbus_fixture_server: %s: %s\n", e.getName().c_str(),
                     e.getMessage().c_str());
    } catch (const std::exception& e) {
        std::fprintf(stderr, "dbus_fixture_server: %s\n", e.what());
    }
    return 1;
}
