# bash completion for logsieve (installed as
# /usr/share/bash-completion/completions/logsieve by installer/install.sh).
# The flag lists mirror each command's flag definitions; a Go test
# (TestBashCompletionKnowsEveryFlag) fails when they drift apart.

_logsieve() {
	local cur prev cmd flags
	COMPREPLY=()
	cur="${COMP_WORDS[COMP_CWORD]}"
	prev="${COMP_WORDS[COMP_CWORD-1]}"
	local commands="serve loadgen bench bench-query import-fastlogger version help"

	if ((COMP_CWORD == 1)); then
		mapfile -t COMPREPLY < <(compgen -W "$commands" -- "$cur")
		return
	fi
	cmd="${COMP_WORDS[1]}"

	case "$prev" in
	--config | -config | --cpuprofile | -cpuprofile | --heapprofile | -heapprofile)
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		return
		;;
	--data | -data | --reuse | -reuse)
		mapfile -t COMPREPLY < <(compgen -d -- "$cur")
		return
		;;
	--log-format | -log-format)
		mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
		return
		;;
	--role | -role)
		mapfile -t COMPREPLY < <(compgen -W "all ingest store" -- "$cur")
		return
		;;
	--nats | -nats)
		mapfile -t COMPREPLY < <(compgen -W "embedded" -- "$cur")
		return
		;;
	--protocol | -protocol)
		mapfile -t COMPREPLY < <(compgen -W "udp tcp tls" -- "$cur")
		return
		;;
	--framing | -framing)
		mapfile -t COMPREPLY < <(compgen -W "octet lf" -- "$cur")
		return
		;;
	--header | -header)
		mapfile -t COMPREPLY < <(compgen -W "none auto rfc3164 rfc5424" -- "$cur")
		return
		;;
	esac

	case "$cmd" in
	serve) flags="--advertise --config --data --http --log-format --nats --node --role" ;;
	loadgen) flags="--conns --count --framing --gso --protocol --rate --size --target" ;;
	bench) flags="--conns --count --cpuprofile --engines --framing --gso --header --heapprofile --idle-s --keep-original --protocol --rate --rules --size" ;;
	bench-query) flags="--cpuprofile --keep-original --only --rate --reuse --rows --runs --sqlite-cli --viewer-rate --viewer-time --viewers" ;;
	import-fastlogger) flags="--data" ;;
	*) return ;;
	esac
	if [[ "$cur" == -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$flags" -- "$cur")
	elif [[ "$cmd" == import-fastlogger ]]; then
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
	fi
}
complete -F _logsieve logsieve
