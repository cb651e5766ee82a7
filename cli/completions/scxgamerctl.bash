# SPDX-License-Identifier: GPL-2.0-only
# bash completion for scxgamerctl(1)                      -*- shell-script -*-
# Kept in sync with `scxgamerctl --help` by tests/integration (CompletionsTest).

_scxgamerctl_profiles() {
    # "* gaming  --slice-us 5000" / "  auto  (defaults)": the name is the first word after "*".
    scxgamerctl profiles 2>/dev/null | awk '{ print ($1 == "*") ? $2 : $1 }'
}

_scxgamerctl_scheduler_flags() {
    # The daemon's flag table, as its --help shows it.
    scx_gamer --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u
}

_scxgamerctl_learned_keys() {
    # "* steam-620   812.5 ->  420.1  --slice-us 4000": the key is the first word after "*".
    scxgamerctl learned list 2>/dev/null | awk '{ print ($1 == "*") ? $2 : $1 }'
}

_scxgamerctl() {
    local cur=${COMP_WORDS[COMP_CWORD]}
    local commands="status set-profile apply-flags profiles games stats monitor launch agent learned"
    local global_options="--json --no-ask-password --help --version"

    # The command is the first word that is not an option (global options take no values).
    local i command="" command_index=0
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        -*) ;;
        *)
            command=${COMP_WORDS[i]}
            command_index=$i
            break
            ;;
        esac
    done

    if [[ -z $command ]]; then
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$global_options" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
        fi
        return
    fi

    case $command in
    set-profile)
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--persist --help --json --no-ask-password" -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -W "$(_scxgamerctl_profiles)" -- "$cur")
        fi
        ;;
    apply-flags)
        mapfile -t COMPREPLY < <(compgen -W "-- --persist --help $(_scxgamerctl_scheduler_flags)" -- "$cur")
        ;;
    stats)
        mapfile -t COMPREPLY < <(compgen -W "--watch --help --json" -- "$cur")
        ;;
    agent)
        mapfile -t COMPREPLY < <(compgen -W "--no-notify --help" -- "$cur")
        ;;
    learned)
        if [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "--help --json --no-ask-password" -- "$cur")
        elif ((COMP_CWORD == command_index + 1)); then
            mapfile -t COMPREPLY < <(compgen -W "list show export delete" -- "$cur")
        elif ((COMP_CWORD == command_index + 2)) && [[ ${COMP_WORDS[command_index + 1]} != list ]]; then
            mapfile -t COMPREPLY < <(compgen -W "$(_scxgamerctl_learned_keys)" -- "$cur")
        fi
        ;;
    launch)
        # The game's command line: a command first (after an optional --), then its arguments.
        local first=$((command_index + 1))
        [[ ${COMP_WORDS[first]} == -- ]] && first=$((first + 1))
        if ((COMP_CWORD == command_index + 1)) && [[ $cur == -* ]]; then
            mapfile -t COMPREPLY < <(compgen -W "-- --name --help" -- "$cur")
        elif ((COMP_CWORD == first)); then
            mapfile -t COMPREPLY < <(compgen -c -- "$cur")
        else
            mapfile -t COMPREPLY < <(compgen -f -- "$cur")
        fi
        ;;
    *)
        mapfile -t COMPREPLY < <(compgen -W "--help --json" -- "$cur")
        ;;
    esac
}

complete -F _scxgamerctl scxgamerctl
