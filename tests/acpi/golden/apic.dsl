/*
 * 
 *
 * ACPI Data Table [APIC]
 *
 * Format: [HexOffset DecimalOffset ByteLength]  FieldName : FieldValue
 */

[000h 0000   4]                    Signature : "APIC"    [Multiple APIC Description Table (MADT)]
[004h 0004   4]                 Table Length : 00000058
[008h 0008   1]                     Revision : 03
[009h 0009   1]                     Checksum : 97
[00Ah 0010   6]                       Oem ID : "QVM   "
[010h 0016   8]                 Oem Table ID : "QVM     "
[018h 0024   4]                 Oem Revision : 00000001
[01Ch 0028   4]              Asl Compiler ID : "QVM "
[020h 0032   4]        Asl Compiler Revision : 00000001

[024h 0036   4]           Local Apic Address : FEE00000
[028h 0040   4]        Flags (decoded below) : 00000001
                         PC-AT Compatibility : 1

[02Ch 0044   1]                Subtable Type : 00 [Processor Local APIC]
[02Dh 0045   1]                       Length : 08
[02Eh 0046   1]                 Processor ID : 00
[02Fh 0047   1]                Local Apic ID : 00
[030h 0048   4]        Flags (decoded below) : 00000001
                           Processor Enabled : 1
                      Runtime Online Capable : 0

[034h 0052   1]                Subtable Type : 00 [Processor Local APIC]
[035h 0053   1]                       Length : 08
[036h 0054   1]                 Processor ID : 01
[037h 0055   1]                Local Apic ID : 01
[038h 0056   4]        Flags (decoded below) : 00000001
                           Processor Enabled : 1
                      Runtime Online Capable : 0

[03Ch 0060   1]                Subtable Type : 01 [I/O APIC]
[03Dh 0061   1]                       Length : 0C
[03Eh 0062   1]                  I/O Apic ID : 00
[03Fh 0063   1]                     Reserved : 00
[040h 0064   4]                      Address : FEC00000
[044h 0068   4]                    Interrupt : 00000000

[048h 0072   1]                Subtable Type : 02 [Interrupt Source Override]
[049h 0073   1]                       Length : 0A
[04Ah 0074   1]                          Bus : 00
[04Bh 0075   1]                       Source : 09
[04Ch 0076   4]                    Interrupt : 00000009
[050h 0080   2]        Flags (decoded below) : 000D
                                    Polarity : 1
                                Trigger Mode : 3

[052h 0082   1]                Subtable Type : 04 [Local APIC NMI]
[053h 0083   1]                       Length : 06
[054h 0084   1]                 Processor ID : FF
[055h 0085   2]        Flags (decoded below) : 0000
                                    Polarity : 0
                                Trigger Mode : 0
[057h 0087   1]         Interrupt Input LINT : 01

Raw Table Data: Length 88 (0x58)

    0000: 41 50 49 43 58 00 00 00 03 97 51 56 4D 20 20 20  // APICX.....QVM   
    0010: 51 56 4D 20 20 20 20 20 01 00 00 00 51 56 4D 20  // QVM     ....QVM 
    0020: 01 00 00 00 00 00 E0 FE 01 00 00 00 00 08 00 00  // ................
    0030: 01 00 00 00 00 08 01 01 01 00 00 00 01 0C 00 00  // ................
    0040: 00 00 C0 FE 00 00 00 00 02 0A 00 09 09 00 00 00  // ................
    0050: 0D 00 04 06 FF 00 00 01                          // ........
