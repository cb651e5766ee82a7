# fish completion for scxgamerctl(1).
# Kept in sync with `scxgamerctl --help` by tests/integration (CompletionsTest).

set -l commands status set-profile apply-flags profiles games stats monitor launch agent learned

function __scxgamerctl_profiles
    scxgamerctl profiles 2>/dev/null | awk '{ print ($1 == "*") ? $2 : $1 }'
end

function __scxgamerctl_scheduler_flags
    scx_gamer --help 2>/dev/null | string match -r -- '--[a-z][a-z-]*' | sort -u
end

function __scxgamerctl_learned_keys
    scxgamerctl learned list 2>/dev/null | awk '{ print ($1 == "*") ? $2 : $1 }'
end

complete -c scxgamerctl -f

# Global options.
complete -c scxgamerctl -l json -d 'Machine-readable JSON output'
complete -c scxgamerctl -l no-ask-password -d 'Do not let polkit ask for a password'
complete -c scxgamerctl -l help -s h -d 'Print help and exit'
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -l version -d 'Print the version and exit'

# Commands.
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -a status -d 'Show state, profile, flags, game and statistics'
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -a set-profile -d 'Switch to a profile'
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -a apply-flags -d 'Apply scheduler flags'
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -a profiles -d 'List the profiles'
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -a games -d 'List the games'
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -a stats -d 'Show the scheduler statistics'
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -a monitor -d 'Follow changes until Ctrl-C'
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -a launch -d 'Run a command as a registered game'
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -a agent -d 'Show desktop notifications for games'
complete -c scxgamerctl -n "not __fish_seen_subcommand_from $commands" -a learned -d 'Learned per-game profiles'

# Command arguments and options.
complete -c scxgamerctl -n "__fish_seen_subcommand_from set-profile" -a '(__scxgamerctl_profiles)' -d Profile
complete -c scxgamerctl -n "__fish_seen_subcommand_from apply-flags" -a '(__scxgamerctl_scheduler_flags)' -d 'Scheduler flag'
complete -c scxgamerctl -n "__fish_seen_subcommand_from set-profile apply-flags" -l persist -d 'Also save it for the next start'
complete -c scxgamerctl -n "__fish_seen_subcommand_from stats" -l watch -x -d 'Repeat every SECS seconds'
complete -c scxgamerctl -n "__fish_seen_subcommand_from agent" -l no-notify -d 'Do not show notifications'
complete -c scxgamerctl -n "__fish_seen_subcommand_from learned; and not __fish_seen_subcommand_from list show export delete" -a 'list show export delete'
complete -c scxgamerctl -n "__fish_seen_subcommand_from show export delete" -a '(__scxgamerctl_learned_keys)' -d 'Game key'
complete -c scxgamerctl -n "__fish_seen_subcommand_from launch" -l name -x -d 'How the game shows'
complete -c scxgamerctl -n "__fish_seen_subcommand_from launch" -F -a '(__fish_complete_subcommand --fcs-skip=2)'
