# stamp.sh: each line of stdin behind the machine's uptime (10 ms steps),
# then "UPTIME END" when stdin ends; for the tests that time what a guest does.
while IFS= read -r line; do
	read -r up _ </proc/uptime
	echo "$up $line"
done
read -r up _ </proc/uptime
echo "$up END"
